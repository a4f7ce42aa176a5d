// API tokens through FilesystemStorage: disk work on the pool, completions later on the loop,
// and a token written by another TokenFiles on the root (as `spoke-server token create` does
// while the server holds the root's LOCK) found by the very next find_token.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "backends/filesystem/filesystem_backend.hpp"
#include "backends/filesystem/token_files.hpp"
#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/digest.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

ApiToken token_for(const std::string& secret, const std::string& id, TimestampMs created) {
    ApiToken t;
    t.id = id;
    t.name = id;
    t.secret_hash = sha256_hex(secret);
    t.scopes = {"admin"};
    t.created_at = created;
    return t;
}

class FilesystemStorageTokensTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = open_filesystem_backend(dir.path(), 1 << 20);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        backend = std::move(opened).value();
        storage = backend->attach(loop, pool);
        thread = std::thread([this] { loop.run(); });
    }
    void TearDown() override {
        if (thread.joinable()) {
            loop.stop();
            thread.join();
        }
        storage.reset();
    }

    // Starts `start_op` on the loop and waits for its completion, which must come later and on
    // the loop thread.
    template <class T, class Start>
    Result<T> call(Start start_op) {
        std::promise<Result<T>> promise;
        auto future = promise.get_future();
        std::atomic<bool> ran_inline{false}, off_loop{false};
        loop.post([&] {
            auto returned = std::make_shared<bool>(false);
            start_op(*storage, Completion<T>([&, returned](Result<T> r) {
                if (!*returned) ran_inline = true;
                if (!loop.is_inside()) off_loop = true;
                promise.set_value(std::move(r));
            }));
            *returned = true;
        });
        if (future.wait_for(10s) != std::future_status::ready) {
            ADD_FAILURE() << "completion never ran";
            std::abort();  // the promise is still referenced by the loop
        }
        EXPECT_FALSE(ran_inline.load()) << "completion ran inside the call";
        EXPECT_FALSE(off_loop.load()) << "completion ran off the loop thread";
        return future.get();
    }

    Result<std::optional<ApiToken>> find(const std::string& hash) {
        return call<std::optional<ApiToken>>(
            [&](Storage& s, Completion<std::optional<ApiToken>> done) {
                s.find_token(hash, std::move(done));
            });
    }

    TempDir dir;
    std::unique_ptr<StorageBackend> backend;
    EventLoop loop{0};
    WorkerPool pool{2, 1u << 20};
    std::unique_ptr<Storage> storage;
    std::thread thread;
};

TEST_F(FilesystemStorageTokensTest, FiveMethodsRoundTrip) {
    ApiToken a = token_for("spoke_a", "tok_a", 100);
    ApiToken b = token_for("spoke_b", "tok_b", 200);
    for (const ApiToken& t : {b, a}) {
        auto created = call<ApiToken>(
            [&](Storage& s, Completion<ApiToken> done) { s.create_token(t, std::move(done)); });
        ASSERT_TRUE(created.ok()) << created.error().message;
        EXPECT_EQ(created->id, t.id);
    }
    auto found = find(a.secret_hash);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->id, "tok_a");
    auto none = find(sha256_hex("nobody"));
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    auto bad = find("../LOCK");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::BadRequest);

    auto used = call<Unit>([&](Storage& s, Completion<Unit> done) {
        s.record_token_use({{a.secret_hash, 1234}, {sha256_hex("nobody"), 1}}, std::move(done));
    });
    ASSERT_TRUE(used.ok());

    const TimestampMs before = wall_ms();
    auto revoked = call<ApiToken>(
        [&](Storage& s, Completion<ApiToken> done) { s.revoke_token("tok_b", std::move(done)); });
    ASSERT_TRUE(revoked.ok()) << revoked.error().message;
    ASSERT_TRUE(revoked->revoked_at.has_value());
    EXPECT_GE(*revoked->revoked_at, before);
    EXPECT_LE(*revoked->revoked_at, wall_ms());
    auto missing = call<ApiToken>(
        [&](Storage& s, Completion<ApiToken> done) { s.revoke_token("tok_z", std::move(done)); });
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);

    auto listed = call<std::vector<ApiToken>>(
        [](Storage& s, Completion<std::vector<ApiToken>> done) { s.list_tokens(std::move(done)); });
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].id, "tok_a");
    EXPECT_EQ((*listed)[0].last_used_at, std::optional<TimestampMs>(1234));
    EXPECT_EQ((*listed)[1].id, "tok_b");
    EXPECT_EQ((*listed)[1].revoked_at, revoked->revoked_at);
}

TEST_F(FilesystemStorageTokensTest, TokenFromAnotherWriterIsFoundWhileTheServerHoldsTheRoot) {
    // What the token command does: no LOCK, no FilesystemStore, only the root path.
    TokenFiles command(dir.path());
    ASSERT_TRUE(command.ensure_dir().ok());
    ApiToken t = token_for("spoke_from_cli", "tok_cli", 5);
    ASSERT_TRUE(command.create(t).ok());
    auto found = find(t.secret_hash);
    ASSERT_TRUE(found.ok()) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id, "tok_cli");

    ASSERT_TRUE(command.revoke("tok_cli", 6).ok());
    found = find(t.secret_hash);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->revoked_at, std::optional<TimestampMs>(6));
}

}  // namespace
}  // namespace spoke
