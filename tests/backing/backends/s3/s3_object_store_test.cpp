// S3ObjectStore against the harness's S3 server (which checks SigV4). Run inside
// tests/harness/services.sh run --with-s3 -- spoke_backing_tests --gtest_filter='S3ObjectStore*'.

#include "backends/s3/s3_object_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends/resilience/breaker_board.hpp"
#include "backends/s3/object_key.hpp"
#include "registry/digest.hpp"
#include "tests/support/loop_thread.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/s3_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;

using namespace testing;  // spoke::testing (tests/support), not gtest

std::string binary_bytes(size_t n, uint32_t seed) {
    return testing::xorshift_bytes(n, seed | 1u);
}

// Content no earlier run stored, so HEAD/PUT counts do not depend on the bucket's past.
std::string fresh_text(const std::string& label) {
    static std::mt19937_64 random(std::random_device{}());
    return "// " + label + " " + std::to_string(random()) + "\nsyntax = \"proto3\";\n";
}

StoredBlob blob(std::string bytes) {
    std::string digest = sha256_hex(bytes);
    return {std::move(digest), std::move(bytes)};
}

class S3ObjectStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::s3_config_from_env(config_);
        if (HasFatalFailure()) return;
        options_.retry = {.base_ms = 5, .cap_ms = 20, .max_attempts = 3};
        thread_.emplace(loop_);
    }

    void TearDown() override {
        run_on_loop(loop_, [this] {
            stores_.clear();
            clients_.clear();
        });
        thread_.reset();
    }

    // A store made and later destroyed on the loop thread.
    S3ObjectStore& store(const S3Config& config, const ObjectStoreOptions& options) {
        run_on_loop(loop_, [&] {
            stores_.push_back(std::make_unique<S3ObjectStore>(loop_, config, options, &board_));
        });
        return *stores_.back();
    }
    S3ObjectStore& store() { return store(config_, options_); }

    Status put_all(S3ObjectStore& s, std::vector<StoredBlob> blobs,
                   CompletionCheck* check = nullptr) {
        return await<Status>(
            loop_,
            [&s, blobs = std::move(blobs)](Callback<void(Status)> done) mutable {
                s.put_all(std::move(blobs), std::move(done));
            },
            check);
    }
    Result<std::vector<std::string>> get_all(S3ObjectStore& s, std::vector<std::string> digests,
                                             CompletionCheck* check = nullptr) {
        return await<Result<std::vector<std::string>>>(
            loop_,
            [&s, digests](Callback<void(Result<std::vector<std::string>>)> done) {
                s.get_all(digests, std::move(done));
            },
            check);
    }
    StorageCheck check(S3ObjectStore& s) {
        return await<StorageCheck>(
            loop_, [&s](Callback<void(StorageCheck)> done) { s.check(std::move(done)); });
    }
    ObjectStoreCounters counters(S3ObjectStore& s) {
        ObjectStoreCounters out;
        run_on_loop(loop_, [&] { out = s.counters(); });
        return out;
    }
    CircuitBreaker::State breaker_state(S3ObjectStore& s) {
        CircuitBreaker::State out{};
        run_on_loop(loop_, [&] { out = s.breaker_state(); });
        return out;
    }
    // Whether `key` exists, asked with a plain S3Client (not through the store).
    bool exists(const std::string& key) {
        run_on_loop(loop_, [&] { clients_.push_back(std::make_unique<S3Client>(loop_, config_)); });
        S3Client& c = *clients_.back();
        Result<bool> r = await<Result<bool>>(loop_, [&c, key](Callback<void(Result<bool>)> done) {
            c.head_object(key, std::move(done));
        });
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() && *r;
    }
    BreakerReading gauge(const std::string& owner) {
        for (const BreakerReading& r : board_.read()) {
            if (r.dependency == "s3" && r.owner == owner) return r;
        }
        ADD_FAILURE() << "no s3 gauge for " << owner;
        return {};
    }

    S3Config config_;
    ObjectStoreOptions options_;
    BreakerBoard board_;  // outlives the stores (they publish to its gauges)
    EventLoop loop_{0};
    std::optional<testing::LoopThread> thread_;
    std::vector<std::unique_ptr<S3ObjectStore>> stores_;  // loop thread only
    std::vector<std::unique_ptr<S3Client>> clients_;      // loop thread only
};

TEST_F(S3ObjectStoreTest, PutAllThenGetAllRoundTripsEmptySmallAndOneMebibyte) {
    S3ObjectStore& s = store();
    std::string big = binary_bytes(1 << 20, static_cast<uint32_t>(std::random_device{}()));
    std::string text = fresh_text("round trip");
    std::vector<StoredBlob> blobs = {blob(""), blob(big), blob(text)};
    for (int i = 0; i < 30; ++i) blobs.push_back(blob(fresh_text("many " + std::to_string(i))));
    std::vector<std::string> digests;
    std::vector<std::string> expected;
    for (const StoredBlob& b : blobs) {
        digests.push_back(b.sha256);
        expected.push_back(b.bytes);
    }
    CompletionCheck put_check;
    Status put = put_all(s, blobs, &put_check);
    ASSERT_TRUE(put.ok()) << put.error().message;
    EXPECT_TRUE(put_check.on_loop_thread);
    EXPECT_FALSE(put_check.inside_call);
    EXPECT_TRUE(exists(content_object_key(sha256_hex(big))));

    // Reversed, with a repeat: results follow the order asked for.
    std::vector<std::string> asked(digests.rbegin(), digests.rend());
    asked.push_back(digests[1]);
    std::vector<std::string> want(expected.rbegin(), expected.rend());
    want.push_back(big);
    CompletionCheck get_check;
    Result<std::vector<std::string>> got = get_all(s, asked, &get_check);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_TRUE(get_check.on_loop_thread);
    EXPECT_FALSE(get_check.inside_call);
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_TRUE((*got)[i] == want[i]) << "item " << i << " differs";
    }
    EXPECT_EQ(counters(s).retries, 0u);
}

TEST_F(S3ObjectStoreTest, EmptyCallsCompleteLaterWithNothing) {
    S3ObjectStore& s = store();
    CompletionCheck put_check;
    EXPECT_TRUE(put_all(s, {}, &put_check).ok());
    EXPECT_FALSE(put_check.inside_call);
    CompletionCheck get_check;
    Result<std::vector<std::string>> got = get_all(s, {}, &get_check);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->empty());
    EXPECT_FALSE(get_check.inside_call);
}

TEST_F(S3ObjectStoreTest, SmallObjectsArePutWithoutAHeadAndKnownOnesNotAtAll) {
    S3ObjectStore& s = store();
    std::string content = fresh_text("dedup");
    ASSERT_LE(content.size(), options_.head_above_bytes);
    // Twice in one call: one PUT, no HEAD.
    ASSERT_TRUE(put_all(s, {blob(content), blob(content)}).ok());
    ObjectStoreCounters first = counters(s);
    EXPECT_EQ(first.heads, 0u);
    EXPECT_EQ(first.puts, 1u);
    EXPECT_TRUE(exists(content_object_key(sha256_hex(content))));

    // Again in a later call: this store wrote it, so nothing is sent.
    CompletionCheck known_check;
    ASSERT_TRUE(put_all(s, {blob(content)}, &known_check).ok());
    EXPECT_FALSE(known_check.inside_call);
    ObjectStoreCounters second = counters(s);
    EXPECT_EQ(second.heads, 0u);
    EXPECT_EQ(second.puts, 1u);

    // A different store (another loop) does not know it: one PUT of the same bytes.
    S3ObjectStore& other = store();
    ASSERT_TRUE(put_all(other, {blob(content)}).ok());
    EXPECT_EQ(counters(other).puts, 1u);
    EXPECT_EQ(counters(other).heads, 0u);

    // A store that read an object knows it too.
    std::string read_first = fresh_text("read, then put");
    ASSERT_TRUE(put_all(s, {blob(read_first)}).ok());
    S3ObjectStore& reader = store();
    ASSERT_TRUE(get_all(reader, {sha256_hex(read_first)}).ok());
    ASSERT_TRUE(put_all(reader, {blob(read_first)}).ok());
    EXPECT_EQ(counters(reader).puts, 0u);
}

TEST_F(S3ObjectStoreTest, LargeObjectsAreUploadedOnceAfterAHead) {
    ObjectStoreOptions options = options_;
    options.head_above_bytes = 16;
    S3ObjectStore& s = store(config_, options);
    std::string content = fresh_text("large dedup");
    ASSERT_GT(content.size(), options.head_above_bytes);
    ASSERT_TRUE(put_all(s, {blob(content), blob(content)}).ok());
    ObjectStoreCounters first = counters(s);
    EXPECT_EQ(first.heads, 1u);
    EXPECT_EQ(first.puts, 1u);

    // Another store's HEAD finds it: nothing is uploaded, and it is known from then on.
    S3ObjectStore& other = store(config_, options);
    ASSERT_TRUE(put_all(other, {blob(content)}).ok());
    EXPECT_EQ(counters(other).heads, 1u);
    EXPECT_EQ(counters(other).puts, 0u);
    ASSERT_TRUE(put_all(other, {blob(content)}).ok());
    EXPECT_EQ(counters(other).heads, 1u);

    // With no memory of keys, every put asks again.
    options.known_keys = 0;
    S3ObjectStore& forgetful = store(config_, options);
    ASSERT_TRUE(put_all(forgetful, {blob(content)}).ok());
    ASSERT_TRUE(put_all(forgetful, {blob(content)}).ok());
    EXPECT_EQ(counters(forgetful).heads, 2u);
    EXPECT_EQ(counters(forgetful).puts, 0u);
}

TEST_F(S3ObjectStoreTest, MissingObjectIsInternalAndNamesTheKey) {
    S3ObjectStore& s = store();
    std::string present = fresh_text("present");
    ASSERT_TRUE(put_all(s, {blob(present)}).ok());
    std::string absent_digest = sha256_hex(fresh_text("never stored"));
    Result<std::vector<std::string>> got = get_all(s, {sha256_hex(present), absent_digest});
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::Internal) << got.error().message;
    EXPECT_NE(got.error().message.find("stored file object"), std::string::npos)
        << got.error().message;
    EXPECT_NE(got.error().message.find(content_object_key(absent_digest)), std::string::npos)
        << got.error().message;
    EXPECT_NE(got.error().message.find("is missing"), std::string::npos) << got.error().message;
    // A 404 is an answer: not retried, and not a failure for the breaker.
    EXPECT_EQ(counters(s).retries, 0u);
    EXPECT_EQ(gauge("loop0").failures_total, 0u);
}

TEST_F(S3ObjectStoreTest, WrongSecretFailsWithoutRetryOrBreakerFailure) {
    S3Config bad = config_;
    bad.secret_key = "not-the-secret-xyzzy";
    S3ObjectStore& s = store(bad, options_);
    Status put = put_all(s, {blob(fresh_text("wrong secret"))});
    ASSERT_FALSE(put.ok());
    EXPECT_NE(put.error().code, ErrorCode::Unavailable) << put.error().message;
    EXPECT_NE(put.error().message.find("SignatureDoesNotMatch"), std::string::npos)
        << put.error().message;
    EXPECT_EQ(put.error().message.find(bad.secret_key), std::string::npos);
    ObjectStoreCounters c = counters(s);
    EXPECT_EQ(c.heads, 0u);
    EXPECT_EQ(c.puts, 1u);
    EXPECT_EQ(c.retries, 0u);
    EXPECT_EQ(gauge("loop0").failures_total, 0u);
    EXPECT_EQ(breaker_state(s), CircuitBreaker::State::Closed);

    StorageCheck health = check(s);
    EXPECT_FALSE(health.up);
    EXPECT_EQ(health.error, "credentials refused");
}

TEST_F(S3ObjectStoreTest, UnreachableEndpointRetriesThenOpensTheBreaker) {
    testing::LoopbackSocket closed(/*listening=*/false);
    S3Config down = config_;
    down.endpoint = "http://127.0.0.1:" + std::to_string(closed.port());
    ObjectStoreOptions options = options_;
    options.owner = "loop7";
    S3ObjectStore& s = store(down, options);

    // First call: max_attempts (3) tries, each a breaker failure; 5 opens it.
    Status first = put_all(s, {blob(fresh_text("down 1"))});
    ASSERT_FALSE(first.ok());
    EXPECT_EQ(first.error().code, ErrorCode::Unavailable) << first.error().message;
    EXPECT_NE(first.error().message.find("3 attempts"), std::string::npos) << first.error().message;
    ObjectStoreCounters after_first = counters(s);
    EXPECT_EQ(after_first.puts, 3u);
    EXPECT_EQ(after_first.retries, 2u);
    EXPECT_EQ(gauge("loop7").failures_total, 3u);
    EXPECT_EQ(breaker_state(s), CircuitBreaker::State::Closed);

    // Second call: two more failures open the breaker; its third try is refused by it.
    Result<std::vector<std::string>> second = get_all(s, {sha256_hex("x")});
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, ErrorCode::Unavailable) << second.error().message;
    EXPECT_EQ(counters(s).gets, 2u);
    EXPECT_EQ(gauge("loop7").failures_total, 5u);
    EXPECT_EQ(breaker_state(s), CircuitBreaker::State::Open);
    EXPECT_EQ(gauge("loop7").state, CircuitBreaker::State::Open);
    EXPECT_EQ(board_.worst("s3"), CircuitBreaker::State::Open);

    // Open: the next call fails at once, without a request.
    auto begin = std::chrono::steady_clock::now();
    Status third = put_all(s, {blob(fresh_text("down 3"))});
    auto took = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().code, ErrorCode::Unavailable);
    EXPECT_NE(third.error().message.find("S3 circuit open, retry in 60s"), std::string::npos)
        << third.error().message;
    EXPECT_LT(took, 50ms);
    EXPECT_EQ(counters(s).puts, 3u);
    EXPECT_GE(gauge("loop7").rejected_total, 2u);

    // The probe bypasses the breaker and reports it.
    StorageCheck health = check(s);
    EXPECT_FALSE(health.up);
    EXPECT_EQ(health.error, "unreachable");
    EXPECT_EQ(health.breaker, "open");
}

TEST_F(S3ObjectStoreTest, CheckReportsAHealthyBucket) {
    S3ObjectStore& s = store();
    StorageCheck health = check(s);
    EXPECT_EQ(health.name, "s3");
    EXPECT_TRUE(health.up) << health.error;
    EXPECT_EQ(health.error, "");
    EXPECT_TRUE(health.required);
    EXPECT_EQ(health.breaker, "closed");
    EXPECT_GE(health.latency_ms, 0);
}

TEST_F(S3ObjectStoreTest, CheckNamesAMissingBucket) {
    S3Config missing = config_;
    missing.bucket = "no-such-bucket-objstore";
    S3ObjectStore& s = store(missing, options_);
    StorageCheck health = check(s);
    EXPECT_EQ(health.name, "s3");
    EXPECT_FALSE(health.up);
    EXPECT_EQ(health.error, "bucket \"no-such-bucket-objstore\" does not exist");
    EXPECT_TRUE(health.required);
    EXPECT_EQ(health.breaker, "closed");
}

// Counts one call's completions; records the first status.
struct CompletionTally {
    std::atomic<int> calls{0};
    std::atomic<bool> unavailable{false};
    void record(bool is_unavailable) {
        if (calls++ == 0) unavailable = is_unavailable;
    }
};

TEST_F(S3ObjectStoreTest, DestroyingTheStoreCompletesPendingCallsOnceWithUnavailable) {
    // Requests in flight: a server that accepts and never answers.
    testing::LoopbackSocket silent(/*listening=*/true);
    S3Config hanging = config_;
    hanging.endpoint = "http://127.0.0.1:" + std::to_string(silent.port());
    ObjectStoreOptions in_flight_options = options_;
    in_flight_options.max_in_flight = 2;  // 2 in flight, 3 queued
    // Retries waiting on timers: refused connects and a long backoff.
    testing::LoopbackSocket closed(/*listening=*/false);
    S3Config refusing = config_;
    refusing.endpoint = "http://127.0.0.1:" + std::to_string(closed.port());
    ObjectStoreOptions waiting_options = options_;
    waiting_options.owner = "loop9";
    waiting_options.retry = {.base_ms = 30'000, .cap_ms = 30'000, .max_attempts = 10};

    std::unique_ptr<S3ObjectStore> in_flight, waiting;
    CompletionTally puts, gets, checks, retrying;
    run_on_loop(loop_, [&] {
        in_flight = std::make_unique<S3ObjectStore>(loop_, hanging, in_flight_options, &board_);
        waiting = std::make_unique<S3ObjectStore>(loop_, refusing, waiting_options, &board_);
        std::vector<StoredBlob> blobs;
        for (int i = 0; i < 5; ++i) blobs.push_back(blob("pending " + std::to_string(i)));
        in_flight->put_all(std::move(blobs), [&](Status st) {
            puts.record(!st.ok() && st.error().code == ErrorCode::Unavailable);
        });
        in_flight->get_all({sha256_hex("a"), sha256_hex("b")},
                           [&](Result<std::vector<std::string>> r) {
                               gets.record(!r.ok() && r.error().code == ErrorCode::Unavailable);
                           });
        in_flight->check([&](StorageCheck c) { checks.record(!c.up); });
        waiting->put_all({blob("waits for a retry")}, [&](Status st) {
            retrying.record(!st.ok() && st.error().code == ErrorCode::Unavailable);
        });
    });
    // The refused store's first try has failed: its retry now waits on a timer.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (gauge("loop9").failures_total == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_GE(gauge("loop9").failures_total, 1u);
    EXPECT_EQ(puts.calls + gets.calls + checks.calls + retrying.calls, 0);

    run_on_loop(loop_, [&] {
        in_flight.reset();
        waiting.reset();
    });
    deadline = std::chrono::steady_clock::now() + 5s;
    while (puts.calls + gets.calls + checks.calls + retrying.calls < 4 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    // Give any second completion ("client closed" from S3Client) time to show up.
    std::this_thread::sleep_for(200ms);
    run_on_loop(loop_, [] {});
    EXPECT_EQ(puts.calls, 1);
    EXPECT_TRUE(puts.unavailable);
    EXPECT_EQ(gets.calls, 1);
    EXPECT_TRUE(gets.unavailable);
    EXPECT_EQ(checks.calls, 1);
    EXPECT_TRUE(checks.unavailable);
    EXPECT_EQ(retrying.calls, 1);
    EXPECT_TRUE(retrying.unavailable);
}

// An open breaker refuses a call through a task deferred on the loop (never inline). The store
// is destroyed before that task runs: the task must find the store's lifetime over and do
// nothing (it would look the call up in the freed store otherwise: a heap-use-after-free under
// AddressSanitizer), and the caller hears once, "S3 object store closed".
TEST_F(S3ObjectStoreTest, DestroyedWhileAnOpenCircuitRefusalIsDeferredCompletesOnceAsClosed) {
    testing::LoopbackSocket closed(/*listening=*/false);
    S3Config down = config_;
    down.endpoint = "http://127.0.0.1:" + std::to_string(closed.port());
    ObjectStoreOptions options = options_;
    options.owner = "loop8";
    options.retry = {.base_ms = 1, .cap_ms = 1, .max_attempts = 1};
    options.breaker.failure_threshold = 1;
    std::unique_ptr<S3ObjectStore> s;
    run_on_loop(loop_, [&] { s = std::make_unique<S3ObjectStore>(loop_, down, options, &board_); });
    Status opened = await<Status>(loop_, [&](Callback<void(Status)> done) {
        s->put_all({blob(fresh_text("opens the breaker"))}, std::move(done));
    });
    ASSERT_FALSE(opened.ok());
    CircuitBreaker::State state{};
    run_on_loop(loop_, [&] { state = s->breaker_state(); });
    ASSERT_EQ(state, CircuitBreaker::State::Open);

    CompletionTally refused;
    std::string message;
    run_on_loop(loop_, [&] {
        s->put_all({blob(fresh_text("refused"))}, [&](Status st) {
            refused.record(!st.ok() && st.error().code == ErrorCode::Unavailable);
            if (!st.ok()) message = st.error().message;
        });
        s.reset();  // the refusal is still a deferred task
        EXPECT_EQ(refused.calls, 0) << "completed inside the destructor";
    });
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (refused.calls == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(100ms);  // a second completion would show up by now
    run_on_loop(loop_, [] {});
    EXPECT_EQ(refused.calls, 1);
    EXPECT_TRUE(refused.unavailable);
    EXPECT_EQ(message, "S3 object store closed");
}

TEST_F(S3ObjectStoreTest, DestroyingTheStoreInsideItsOwnCompletionIsSafe) {
    std::unique_ptr<S3ObjectStore> s;
    std::promise<Status> result;
    run_on_loop(loop_, [&] {
        s = std::make_unique<S3ObjectStore>(loop_, config_, options_, &board_);
        s->put_all({blob(fresh_text("self destroy")), blob(fresh_text("self destroy 2"))},
                   [&](Status st) {
                       s.reset();
                       result.set_value(std::move(st));
                   });
    });
    auto future = result.get_future();
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
    Status st = future.get();
    EXPECT_TRUE(st.ok()) << st.error().message;
}

}  // namespace
}  // namespace spoke
