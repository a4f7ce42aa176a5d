// API tokens in the postgres backend, against the harness's PostgreSQL (primary + standby) and
// S3: the five Storage methods on a database of their own, and migration 0002 on a database
// that is at schema version 1.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgres/postgres_backend.hpp"
#include "backends/postgres/schema_migrations.hpp"
#include "common/clock.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/digest.hpp"
#include "tests/support/api_token_support.hpp"
#include "tests/support/pg_fresh_database.hpp"
#include "tests/support/pg_test_support.hpp"

namespace spoke {
namespace {

using testing::expect_same;

using namespace std::chrono_literals;
using testing::connected;
using testing::FreshDatabase;
using testing::run_query;
using testing::run_until;

constexpr PgTimeouts kTimeouts{3000, 5000};

ApiToken token_for(const std::string& secret, const std::string& id, TimestampMs created) {
    ApiToken t;
    t.id = id;
    t.name = "token " + id;
    t.secret_hash = sha256_hex(secret);
    t.scopes = {"read", "write"};
    t.created_at = created;
    return t;
}

class PostgresTokensTest : public FreshDatabase {
  protected:
    void SetUp() override {
        FreshDatabase::SetUp();
        if (HasFatalFailure()) return;
        PostgresBackendOptions options = backend_options();
        if (HasFatalFailure()) return;
        auto opened = open_postgres_backend(std::move(options));
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        backend_ = std::move(*opened);
        // One turn makes the test thread the loop's thread (see postgres_storage_test.cpp).
        run_until(
            loop_, [] { return false; }, 1ms);
        storage_ = backend_->attach(loop_, workers_);
    }
    void TearDown() override {
        storage_.reset();
        run_until(
            loop_, [] { return false; }, 10ms);  // closed connections' completions
        backend_.reset();
        FreshDatabase::TearDown();
    }

    // Starts a call on the loop (this thread) and runs the loop until it completes.
    template <class T, class Start>
    Result<T> call(Start start) {
        std::optional<Result<T>> out;
        start(*storage_, Completion<T>([&](Result<T> r) { out = std::move(r); }));
        EXPECT_FALSE(out.has_value()) << "completion ran inside the call";
        if (!run_until(loop_, [&] { return out.has_value(); }))
            return Error::internal("test: no completion within 10 s");
        return std::move(*out);
    }

    Result<ApiToken> create(const ApiToken& t) {
        return call<ApiToken>(
            [&](Storage& s, Completion<ApiToken> done) { s.create_token(t, std::move(done)); });
    }
    Result<std::optional<ApiToken>> find(const std::string& hash) {
        return call<std::optional<ApiToken>>(
            [&](Storage& s, Completion<std::optional<ApiToken>> done) {
                s.find_token(hash, std::move(done));
            });
    }
    Result<std::vector<ApiToken>> list() {
        return call<std::vector<ApiToken>>([](Storage& s, Completion<std::vector<ApiToken>> done) {
            s.list_tokens(std::move(done));
        });
    }
    Result<ApiToken> revoke(const std::string& id) {
        return call<ApiToken>(
            [&](Storage& s, Completion<ApiToken> done) { s.revoke_token(id, std::move(done)); });
    }
    Status record(std::vector<TokenUse> uses) {
        return call<Unit>([&](Storage& s, Completion<Unit> done) {
            s.record_token_use(std::move(uses), std::move(done));
        });
    }
    std::optional<TimestampMs> last_used(const std::string& hash) {
        auto found = find(hash);
        EXPECT_TRUE(found.ok() && found->has_value());
        return found.ok() && found->has_value() ? (*found)->last_used_at : std::nullopt;
    }

    WorkerPool workers_{1};
    std::unique_ptr<StorageBackend> backend_;
    std::unique_ptr<Storage> storage_;
};

TEST_F(PostgresTokensTest, CreateFindAndListRoundTripEveryField) {
    ApiToken full = token_for("spoke_full", "tok_full", 1700000000123);
    full.prefixes = {"acme.", R"(odd "quoted", {braced} \ name)"};
    full.expires_at = 1800000000456;
    full.scopes = {"admin"};
    ApiToken bare = token_for("spoke_bare", "tok_bare", 1700000000123);
    ApiToken oldest = token_for("spoke_old", "tok_zzz", 5);
    for (const ApiToken* t : {&full, &bare, &oldest}) {
        auto created = create(*t);
        ASSERT_TRUE(created.ok()) << created.error().message;
        expect_same(*created, *t);
    }

    auto found = find(full.secret_hash);
    ASSERT_TRUE(found.ok()) << found.error().message;
    ASSERT_TRUE(found->has_value());
    expect_same(**found, full);

    auto none = find(sha256_hex("never stored"));
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none->has_value());
    auto malformed = find("NOT-A-HASH");
    ASSERT_FALSE(malformed.ok());
    EXPECT_EQ(malformed.error().code, ErrorCode::BadRequest);

    // Oldest first, then id in byte order.
    auto listed = list();
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    ASSERT_EQ(listed->size(), 3u);
    expect_same((*listed)[0], oldest);
    expect_same((*listed)[1], bare);
    expect_same((*listed)[2], full);
}

TEST_F(PostgresTokensTest, ClashesAreInternalAndMalformedHashIsRefused) {
    ApiToken t = token_for("spoke_one", "tok_one", 1);
    ASSERT_TRUE(create(t).ok());
    ApiToken same_hash = token_for("spoke_one", "tok_two", 2);
    auto r = create(same_hash);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
    EXPECT_EQ(r.error().message.find(t.secret_hash), std::string::npos) << r.error().message;
    ApiToken same_id = token_for("spoke_other", "tok_one", 3);
    r = create(same_id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
    ApiToken bad = token_for("x", "tok_bad", 4);
    bad.secret_hash = "../etc";
    r = create(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest);

    auto listed = list();
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    expect_same(listed->front(), t);
}

TEST_F(PostgresTokensTest, RevokeTwiceKeepsTheFirstTimeAndUnknownIdIsNotFound) {
    ApiToken t = token_for("spoke_rev", "tok_rev", 1);
    ASSERT_TRUE(create(t).ok());
    const TimestampMs before = wall_ms();
    auto first = revoke("tok_rev");
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_TRUE(first->revoked_at.has_value());
    // now() on the database's clock, which is this machine's.
    EXPECT_GE(*first->revoked_at, before - 1000);
    EXPECT_LE(*first->revoked_at, wall_ms() + 1000);
    run_until(
        loop_, [] { return false; }, 20ms);
    auto second = revoke("tok_rev");
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(second->revoked_at, first->revoked_at);
    auto found = find(t.secret_hash);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->revoked_at, first->revoked_at);

    auto missing = revoke("tok_ghost");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    EXPECT_NE(missing.error().message.find("tok_ghost"), std::string::npos);
}

TEST_F(PostgresTokensTest, RecordUseRaisesToTheLatestAndNeverLowers) {
    ApiToken a = token_for("spoke_a", "tok_a", 1);
    ApiToken b = token_for("spoke_b", "tok_b", 2);
    ASSERT_TRUE(create(a).ok());
    ASSERT_TRUE(create(b).ok());

    ASSERT_TRUE(record({{a.secret_hash, 1700000000050}}).ok());
    EXPECT_EQ(last_used(a.secret_hash), std::optional<TimestampMs>(1700000000050));
    EXPECT_EQ(last_used(b.secret_hash), std::nullopt);

    ASSERT_TRUE(record({{a.secret_hash, 1700000000040}}).ok());
    EXPECT_EQ(last_used(a.secret_hash), std::optional<TimestampMs>(1700000000050));

    // One batch: the latest per hash, whatever the order; unknown and malformed hashes ignored.
    auto batch = record({{b.secret_hash, 1700000000060},
                         {b.secret_hash, 1700000000070},
                         {sha256_hex("unknown"), 1700000000080},
                         {"not a hash, \"quoted\"", 1700000000090},
                         {b.secret_hash, 1700000000065},
                         {a.secret_hash, 1700000000055}});
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    EXPECT_EQ(last_used(a.secret_hash), std::optional<TimestampMs>(1700000000055));
    EXPECT_EQ(last_used(b.secret_hash), std::optional<TimestampMs>(1700000000070));
    EXPECT_TRUE(record({}).ok());

    // Revoked tokens' uses are recorded too; revocation is untouched.
    auto revoked = revoke("tok_b");
    ASSERT_TRUE(revoked.ok());
    ASSERT_TRUE(record({{b.secret_hash, 1700000000099}}).ok());
    auto found = find(b.secret_hash);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->last_used_at, std::optional<TimestampMs>(1700000000099));
    EXPECT_EQ((*found)->revoked_at, revoked->revoked_at);
}

class TokenMigrationTest : public FreshDatabase {
  protected:
    Result<int> migrate(std::vector<Migration> migrations) {
        std::optional<Result<int>> out;
        MigrationRunner(*conn_, std::move(migrations)).run([&](Result<int> r) {
            out = std::move(r);
        });
        if (!run_until(loop_, [&] { return out.has_value(); }))
            return Error::internal("test: migrations did not complete");
        return std::move(*out);
    }
    std::string scalar(const std::string& sql) {
        auto r = run_query(loop_, *conn_, sql);
        if (!r.ok()) {
            ADD_FAILURE() << sql << ": " << r.error().message;
            return {};
        }
        if (r.value().rows() != 1) return "<" + std::to_string(r.value().rows()) + " rows>";
        return std::string(r.value().value(0, 0));
    }

    std::unique_ptr<PgConnection> conn_;
};

TEST_F(TokenMigrationTest, AppliesOnADatabaseAtVersionOne) {
    conn_ = connected(loop_, db_url("PG_PRIMARY_URL"), kTimeouts);
    const auto& all = embedded_migrations();
    ASSERT_GE(all.size(), 2u);
    EXPECT_EQ(all[1].version, 2);
    EXPECT_EQ(all[1].name, "0002_api_tokens");
    auto v1 = migrate({all[0]});
    ASSERT_TRUE(v1.ok()) << v1.error().message;
    ASSERT_EQ(*v1, 1);
    ASSERT_TRUE(run_query(loop_, *conn_, "INSERT INTO modules (name) VALUES ('kept')").ok());
    EXPECT_EQ(scalar("SELECT to_regclass('api_tokens') IS NULL"), "t");

    auto current = migrate(all);
    ASSERT_TRUE(current.ok()) << current.error().message;
    EXPECT_EQ(*current, all.back().version);
    EXPECT_EQ(scalar("SELECT min(version) || ',' || max(version) FROM schema_migrations"),
              "1," + std::to_string(all.back().version));
    EXPECT_EQ(scalar("SELECT name FROM modules"), "kept");

    // The table as specified: defaults, uniqueness, the hash check.
    const std::string hash = sha256_hex("m");
    auto inserted = run_query(loop_, *conn_,
                              "INSERT INTO api_tokens (id, name, secret_hash, scopes, created_at) "
                              "VALUES ('tok_m', 'm', $1, '{read}', now())",
                              {hash});
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
    EXPECT_EQ(scalar("SELECT prefixes = '{}' AND expires_at IS NULL AND last_used_at IS NULL AND "
                     "revoked_at IS NULL FROM api_tokens"),
              "t");
    auto dup = run_query(loop_, *conn_,
                         "INSERT INTO api_tokens (id, name, secret_hash, scopes, created_at) "
                         "VALUES ('tok_n', 'n', $1, '{read}', now())",
                         {hash});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().sqlstate, "23505");
    auto bad_hash = run_query(loop_, *conn_,
                              "INSERT INTO api_tokens (id, name, secret_hash, scopes, created_at) "
                              "VALUES ('tok_o', 'o', 'ABC', '{read}', now())");
    ASSERT_FALSE(bad_hash.ok());
    EXPECT_EQ(bad_hash.error().sqlstate, "23514");

    // Running again applies nothing.
    auto again = migrate(all);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), std::to_string(all.size()));
}

}  // namespace
}  // namespace spoke
