// S3Client against the harness's S3 server (which checks SigV4). Run inside
// tests/harness/services.sh run --with-s3 -- spoke_backing_tests.

#include "backends/s3/s3_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backends/s3/object_key.hpp"
#include "registry/digest.hpp"
#include "tests/support/loop_thread.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/s3_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;

using namespace testing;  // spoke::testing (tests/support), not gtest

std::string binary_bytes(size_t n) {
    return testing::xorshift_bytes(n, 2463534242u);
}

class S3ClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::s3_config_from_env(config_);
        if (HasFatalFailure()) return;
        thread_.emplace(loop_);
    }

    void TearDown() override {
        run_on_loop(loop_, [this] { clients_.clear(); });
        thread_.reset();
    }

    // A client made and later destroyed on the loop thread.
    S3Client& client(const S3Config& config) {
        run_on_loop(loop_, [&] { clients_.push_back(std::make_unique<S3Client>(loop_, config)); });
        return *clients_.back();
    }
    S3Client& client() { return client(config_); }

    Status put(S3Client& c, std::string key, std::string bytes, CompletionCheck* check = nullptr) {
        return await<Status>(
            loop_,
            [&c, key, bytes](Callback<void(Status)> done) mutable {
                c.put_object(key, bytes, std::move(done));
            },
            check);
    }
    Result<std::string> get(S3Client& c, std::string key) {
        return await<Result<std::string>>(loop_,
                                          [&c, key](Callback<void(Result<std::string>)> done) {
                                              c.get_object(key, std::move(done));
                                          });
    }
    Result<bool> head(S3Client& c, std::string key) {
        return await<Result<bool>>(loop_, [&c, key](Callback<void(Result<bool>)> done) {
            c.head_object(key, std::move(done));
        });
    }
    Status head_bucket(S3Client& c) {
        return await<Status>(loop_,
                             [&c](Callback<void(Status)> done) { c.head_bucket(std::move(done)); });
    }

    S3Config config_;
    EventLoop loop_{0};
    std::optional<testing::LoopThread> thread_;
    std::vector<std::unique_ptr<S3Client>> clients_;  // loop thread only
};

TEST_F(S3ClientTest, PutThenGetRoundTripsOneMebibyteOfBinary) {
    S3Client& c = client();
    std::string bytes = binary_bytes(1 << 20);
    bytes[0] = '\0';
    bytes[1] = '\r';
    bytes[2] = '\n';
    CompletionCheck check;
    Status put_status = put(c, "tests/round trip/1MiB+bin", bytes, &check);
    ASSERT_TRUE(put_status.ok()) << put_status.error().message;
    EXPECT_TRUE(check.on_loop_thread);
    EXPECT_FALSE(check.inside_call);
    Result<std::string> got = get(c, "tests/round trip/1MiB+bin");
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->size(), bytes.size());
    EXPECT_TRUE(*got == bytes);
}

TEST_F(S3ClientTest, EmptyObjectRoundTrips) {
    S3Client& c = client();
    ASSERT_TRUE(put(c, "tests/empty", "").ok());
    Result<std::string> got = get(c, "tests/empty");
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, "");
}

TEST_F(S3ClientTest, HeadTellsExistingFromMissing) {
    S3Client& c = client();
    ASSERT_TRUE(put(c, "tests/head/present", "x").ok());
    Result<bool> present = head(c, "tests/head/present");
    ASSERT_TRUE(present.ok()) << present.error().message;
    EXPECT_TRUE(*present);
    Result<bool> missing = head(c, "tests/head/missing");
    ASSERT_TRUE(missing.ok()) << missing.error().message;
    EXPECT_FALSE(*missing);
}

TEST_F(S3ClientTest, GetMissingIsNotFound) {
    Result<std::string> got = get(client(), "tests/never-written");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::NotFound);
    EXPECT_NE(got.error().message.find("tests/never-written"), std::string::npos)
        << got.error().message;
}

TEST_F(S3ClientTest, ContentAddressedKeyRoundTrips) {
    S3Client& c = client();
    std::string content = "syntax = \"proto3\";\npackage a.b;\nmessage M { string s = 1; }\n";
    std::string key = content_object_key(sha256_hex(content));
    ASSERT_TRUE(put(c, key, content).ok());
    Result<bool> exists = head(c, key);
    ASSERT_TRUE(exists.ok());
    EXPECT_TRUE(*exists);
    Result<std::string> got = get(c, key);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, content);
}

TEST_F(S3ClientTest, WrongSecretIsRefusedWithSignatureDoesNotMatch) {
    S3Config bad = config_;
    bad.secret_key = "not-the-secret-xyzzy";
    S3Client& c = client(bad);
    Status put_status = put(c, "tests/wrong-secret", "x");
    ASSERT_FALSE(put_status.ok());
    EXPECT_NE(put_status.error().message.find("SignatureDoesNotMatch"), std::string::npos)
        << put_status.error().message;
    EXPECT_EQ(put_status.error().message.find(bad.secret_key), std::string::npos);
    Result<std::string> got = get(c, "tests/wrong-secret");
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find("SignatureDoesNotMatch"), std::string::npos)
        << got.error().message;
    Status bucket = head_bucket(c);
    ASSERT_FALSE(bucket.ok());
    EXPECT_NE(bucket.error().code, ErrorCode::NotFound) << bucket.error().message;
    EXPECT_NE(bucket.error().message.find("403"), std::string::npos) << bucket.error().message;
}

TEST_F(S3ClientTest, HeadBucketFindsTheConfiguredBucket) {
    Status s = head_bucket(client());
    EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(S3ClientTest, HeadBucketOnAMissingBucketIsNotFound) {
    S3Config missing = config_;
    missing.bucket = "no-such-bucket-spoke";
    Status s = head_bucket(client(missing));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::NotFound) << s.error().message;
    EXPECT_NE(s.error().message.find("no-such-bucket-spoke"), std::string::npos)
        << s.error().message;
}

TEST_F(S3ClientTest, UnreachableEndpointIsUnavailableFast) {
    testing::LoopbackSocket closed(/*listening=*/false);
    S3Config down = config_;
    down.endpoint = "http://127.0.0.1:" + std::to_string(closed.port());
    S3Client& c = client(down);
    auto begin = std::chrono::steady_clock::now();
    Status s = put(c, "tests/unreachable", "x");
    auto took = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::Unavailable) << s.error().message;
    EXPECT_LT(took, 1s);
}

TEST_F(S3ClientTest, SilentServerTimesOutAsUnavailable) {
    testing::LoopbackSocket silent(/*listening=*/true);
    S3Config slow = config_;
    slow.endpoint = "http://127.0.0.1:" + std::to_string(silent.port());
    slow.timeout_ms = 300;
    S3Client& c = client(slow);
    auto begin = std::chrono::steady_clock::now();
    Result<std::string> got = get(c, "tests/silent");
    auto took = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::Unavailable);
    EXPECT_NE(got.error().message.find("timed out"), std::string::npos) << got.error().message;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1s);
}

TEST_F(S3ClientTest, FiftyConcurrentPutsOnOneLoopAllComplete) {
    S3Client& c = client();
    constexpr int kPuts = 50;
    std::atomic<int> ok{0}, failed{0}, off_loop{0}, in_call{0};
    std::promise<void> all_done;
    std::atomic<int> remaining{kPuts};
    loop_.post([&] {
        for (int i = 0; i < kPuts; ++i) {
            c.put_object("tests/concurrent/" + std::to_string(i),
                         std::string(1000 + i, 'a' + i % 26), [&](Status s) {
                             (s.ok() ? ok : failed)++;
                             if (!loop_.is_inside()) off_loop++;
                             if (--remaining == 0) all_done.set_value();
                         });
        }
        // Nothing may have completed while the calls were being made.
        if (remaining != kPuts) in_call++;
    });
    ASSERT_EQ(all_done.get_future().wait_for(10s), std::future_status::ready);
    EXPECT_EQ(ok, kPuts);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(off_loop, 0);
    EXPECT_EQ(in_call, 0);
    for (int i : {0, 49}) {
        Result<std::string> got = get(c, "tests/concurrent/" + std::to_string(i));
        ASSERT_TRUE(got.ok()) << got.error().message;
        EXPECT_EQ(*got, std::string(1000 + i, 'a' + i % 26));
    }
}

TEST_F(S3ClientTest, DestroyingTheClientCompletesInFlightRequestsAsClientClosed) {
    testing::LoopbackSocket silent(/*listening=*/true);
    S3Config slow = config_;
    slow.endpoint = "http://127.0.0.1:" + std::to_string(silent.port());
    slow.timeout_ms = 5000;
    std::promise<Status> result;
    run_on_loop(loop_, [&] {
        auto c = std::make_unique<S3Client>(loop_, slow);
        c->put_object("tests/closed", "x", [&](Status s) { result.set_value(std::move(s)); });
        c.reset();
    });
    auto future = result.get_future();
    ASSERT_EQ(future.wait_for(2s), std::future_status::ready);
    Status s = future.get();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::Unavailable);
    EXPECT_NE(s.error().message.find("client closed"), std::string::npos) << s.error().message;
}

TEST(S3TargetTest, PathAndVirtualHostStyle) {
    S3Config config{"http://127.0.0.1:9000/", "us-east-1", "b", "k", "s", true, 1000};
    S3Target path = s3_target(config, "proto-files/a b");
    EXPECT_EQ(path.scheme_and_host, "http://127.0.0.1:9000");
    EXPECT_EQ(path.host, "127.0.0.1:9000");
    EXPECT_EQ(path.raw_path, "/b/proto-files/a b");
    EXPECT_EQ(s3_target(config, "").raw_path, "/b");
    config.path_style = false;
    config.endpoint = "https://s3.example.com";
    S3Target vhost = s3_target(config, "k/x");
    EXPECT_EQ(vhost.scheme_and_host, "https://b.s3.example.com");
    EXPECT_EQ(vhost.host, "b.s3.example.com");
    EXPECT_EQ(vhost.raw_path, "/k/x");
    EXPECT_EQ(s3_target(config, "").raw_path, "/");
}

}  // namespace
}  // namespace spoke
