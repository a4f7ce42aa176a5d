#pragma once
// S3ObjectStore: one loop's content-addressed file store on S3: objects keyed by SHA-256
// (content_object_key), written once, read back by digest, and other immutable objects by key
// (code generation artifacts); with retries, jittered backoff and a circuit breaker.
// ObjectStoreOptions: its timing. StoredBlob: one file to store. ObjectStoreCounters: requests
// sent, for metrics and tests.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/resilience/circuit_breaker.hpp"
#include "backends/resilience/retry_backoff.hpp"
#include "backends/s3/s3_client.hpp"
#include "backends/storage.hpp"
#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

class BreakerBoard;

struct ObjectStoreOptions {
    BreakerPolicy breaker;
    BackoffPolicy retry{.base_ms = 100, .cap_ms = 2000, .max_attempts = 3};
    size_t max_in_flight = 16;  // per put_all/get_all call
    // A put of an object up to this size is one PUT (an identical object already there is
    // written again, harmlessly); a larger one is a HEAD first, and a PUT only when missing: a
    // round trip saved per small file against bytes not sent twice for a large one.
    size_t head_above_bytes = 64 * 1024;
    // Keys this store saw in the bucket (KnownObjects): a put of one sends nothing.
    size_t known_keys = 16384;
    std::string owner = "loop0";  // names the breaker on the BreakerBoard
};

// One file's content and its lowercase hex SHA-256 (the caller computed it; not re-checked).
struct StoredBlob {
    std::string sha256;
    std::string bytes;
};

// Requests one store sent to S3, each retry included (for metrics and tests).
struct ObjectStoreCounters {
    uint64_t heads = 0;
    uint64_t puts = 0;
    uint64_t gets = 0;
    uint64_t retries = 0;  // requests re-sent after an Unavailable answer
};

// All calls and the destructor on the loop thread; completions from loop.defer(), never inside
// the call. Destroying the store completes pending calls with Unavailable (through S3Client).
//
// Every S3 request passes the breaker ("s3"): an open breaker fails the call at once with
// Unavailable. Unavailable results (network, timeout, 5xx) count as failures and are retried
// with full-jitter backoff up to retry.max_attempts; anything else (200, 404, 403) is an answer:
// a success for the breaker, and not retried.
class S3ObjectStore {
  public:
    S3ObjectStore(EventLoop& loop, S3Config config, ObjectStoreOptions options,
                  BreakerBoard* board);
    ~S3ObjectStore();
    S3ObjectStore(const S3ObjectStore&) = delete;
    S3ObjectStore& operator=(const S3ObjectStore&) = delete;

    // Makes every blob durable under its content key: nothing for a key this store saw in the
    // bucket already, a PUT for a small object, a HEAD and then a PUT only when missing for a
    // large one (options.head_above_bytes). ok only when all are stored.
    void put_all(std::vector<StoredBlob> blobs, Callback<void(Status)> done);

    // Contents for `sha256s`, in the same order. A missing object is Internal ("stored file
    // object <key> is missing"): metadata points at it, so this is damage, not a 404.
    void get_all(std::vector<std::string> sha256s,
                 Callback<void(Result<std::vector<std::string>>)> done);

    // Any object by its key (the caller names content-addressed keys, so a stored object never
    // changes): sent as put_all sends one blob.
    void put_object(std::string key, std::string bytes, Callback<void(Status)> done);
    // The object's bytes, or nullopt when the bucket has no such key (404 is an answer here).
    void get_object(std::string key, Callback<void(Result<std::optional<std::string>>)> done);

    // Readiness: HEAD on the bucket, bypassing the breaker (it is a probe). NotFound/Internal
    // from S3Client::head_bucket name a missing bucket or refused credentials.
    void check(Callback<void(StorageCheck)> done);

    CircuitBreaker::State breaker_state();
    const ObjectStoreCounters& counters() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace spoke
