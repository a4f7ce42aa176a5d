#pragma once
// S3Client: object get/put/head and a bucket check against an S3 endpoint, signed with SigV4 and
// driven by one EventLoop through CurlMulti. No retries (a later layer adds them).

#include <cstdint>
#include <string>
#include <string_view>

#include "backends/s3/curl_multi.hpp"
#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

// Where the bucket is and how to sign for it.
struct S3Config {
    std::string endpoint;  // "http://127.0.0.1:9000": scheme and host[:port], no path
    std::string region;    // "us-east-1"
    std::string bucket;
    std::string access_key;
    std::string secret_key;
    // Path style puts the bucket in the path (http://host/bucket/key); virtual-host style puts
    // it in the host name (http://bucket.host/key).
    bool path_style = true;
    int64_t timeout_ms = 5000;  // whole-request deadline, connect included
};

// One request's address: the URL to use and the raw path to sign (the signer encodes it).
struct S3Target {
    std::string scheme_and_host;  // "http://127.0.0.1:9000" or "http://bucket.s3.example"
    std::string host;             // Host header value: "127.0.0.1:9000"
    std::string raw_path;         // "/bucket/proto-files/a b" (decoded)
};

// Addresses `key` (or the bucket itself when key is empty) under `config`'s URL style.
S3Target s3_target(const S3Config& config, std::string_view key);

class S3Client {
  public:
    // Loop thread only: construction, every call, and destruction. Completions run on the loop
    // thread from deferred tasks, never inside the call that started them. Destroying the client
    // completes requests still in flight with Unavailable "client closed" (see CurlMulti).
    S3Client(EventLoop& loop, S3Config config);

    // Errors, for every call: Unavailable for connection failures, the deadline ("S3 request
    // timed out") and 5xx (message names the S3 error code); Internal for 403
    // (message names SignatureDoesNotMatch/AccessDenied, never the secret) and other failures.
    void put_object(std::string key, std::string bytes, Callback<void(Status)> done);
    // NotFound when the key (404 NoSuchKey) or the bucket (NoSuchBucket) does not exist.
    void get_object(std::string key, Callback<void(Result<std::string>)> done);
    // false for 404.
    void head_object(std::string key, Callback<void(Result<bool>)> done);
    // For the start-up check: NotFound when the bucket does not exist, Internal naming the
    // credentials when S3 refuses them (403).
    void head_bucket(Callback<void(Status)> done);

    const S3Config& config() const { return config_; }

  private:
    struct Response;
    void start(const char* method, std::string key, std::string body,
               Callback<void(Result<Response>)> done);

    EventLoop& loop_;
    S3Config config_;
    CurlMulti multi_;
};

}  // namespace spoke
