// MigrationRunner against the real PostgreSQL primary started by tests/harness/services.sh
// (PG_PRIMARY_URL). Each test works in its own fresh database, dropped at the end.
#include "backends/postgres/schema_migrations.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "backends/postgres/registry_sql.hpp"
#include "reactor/timer.hpp"
#include "registry/semver.hpp"
#include "tests/support/pg_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::connected;
using testing::run_query;
using testing::run_until;
using testing::url_with_db;

// Generous statement deadline: concurrent runners wait on the advisory lock.
constexpr PgTimeouts kTimeouts{3000, 5000};

Result<int> run_migrations(EventLoop& loop, PgConnection& conn) {
    std::optional<Result<int>> out;
    MigrationRunner(conn).run([&](Result<int> r) { out = std::move(r); });
    if (!run_until(loop, [&] { return out.has_value(); }))
        return Error::internal("test: migrations did not complete");
    return std::move(*out);
}

// The schema version a fresh database migrates to.
int latest_version() {
    return embedded_migrations().back().version;
}

// Each test gets an empty database of its own; `conn` is connected to it.
class MigrationTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* url = std::getenv("PG_PRIMARY_URL");
        if (url == nullptr || *url == '\0')
            GTEST_FAIL() << "PG_PRIMARY_URL is not set: run under tests/harness/services.sh run "
                            "--with-standby -- <this binary>";
        admin_url_ = url_with_db(url, "postgres");
        std::random_device rd;
        db_ = "spoke_mig_" + std::to_string(rd()) + std::to_string(rd());
        db_url_ = url_with_db(url, db_);
        admin_ = connected(loop_, admin_url_, kTimeouts);
        auto created = run_query(loop_, *admin_, "CREATE DATABASE " + db_);
        ASSERT_TRUE(created.ok()) << created.error().message;
        conn_ = connected(loop_, db_url_, kTimeouts);
    }

    void TearDown() override {
        conn_.reset();
        if (admin_ && admin_->state() == PgConnection::State::Idle) {
            auto dropped =
                run_query(loop_, *admin_, "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
            EXPECT_TRUE(dropped.ok()) << dropped.error().message;
        }
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

    EventLoop loop_{0};
    std::string admin_url_, db_, db_url_;
    std::unique_ptr<PgConnection> admin_, conn_;
};

TEST(MigrationScriptSplit, SplitsAtLineEndSemicolonsAndDropsCommentLines) {
    auto r = split_sql_script(
        "-- header; with a semicolon;\n"
        "CREATE TABLE a (\n"
        "    x text CHECK (x <> ';')  -- inline; comment\n"
        ");\n"
        "\n"
        "CREATE INDEX i ON a (x);   \n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0], "CREATE TABLE a (\n    x text CHECK (x <> ';')  -- inline; comment\n);\n");
    EXPECT_EQ((*r)[1], "CREATE INDEX i ON a (x);   \n");
}

TEST(MigrationScriptSplit, AFunctionBodyIsOneStatement) {
    auto r = split_sql_script(
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    PERFORM 1;\n"
        "    RETURN 2;\n"
        "END $$;\n"
        "CREATE TABLE a (x int);\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].substr(0, 15), "CREATE FUNCTION");
    EXPECT_EQ((*r)[1], "CREATE TABLE a (x int);\n");
}

TEST(MigrationScriptSplit, UnterminatedStatementIsAnError) {
    auto r = split_sql_script("CREATE TABLE a (x int);\n\nCREATE TABLE b (x int)\n-- end\n");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
}

TEST(MigrationScriptSplit, EmbeddedMigrationsAreAscendingAndSplit) {
    const auto& all = embedded_migrations();
    ASSERT_FALSE(all.empty());
    int previous = 0;
    for (const Migration& m : all) {
        EXPECT_EQ(m.version, previous + 1) << m.name;
        previous = m.version;
        auto statements = split_sql_script(m.sql);
        ASSERT_TRUE(statements.ok()) << m.name << ": " << statements.error().message;
        EXPECT_FALSE(statements->empty()) << m.name;
    }
}

TEST_F(MigrationTest, EmptyDatabaseGetsAllTablesAndTheLatestVersion) {
    auto r = run_migrations(loop_, *conn_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, latest_version());
    EXPECT_EQ(scalar("SELECT string_agg(version::text || ':' || (applied_at IS NOT NULL)::text, "
                     "',' ORDER BY version) FROM schema_migrations"),
              "1:true,2:true,3:true,4:true");
    EXPECT_EQ(scalar("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "
                     "information_schema.tables WHERE table_schema = 'public'"),
              "api_tokens,confluent_schema_refs,confluent_schemas,confluent_settings,"
              "confluent_subject_versions,modules,schema_migrations,version_dependencies,"
              "version_files,versions");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_indexes WHERE indexname = "
                     "'version_dependencies_depends_on'"),
              "1");
    // The lock was released: another session can take it at once.
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(MigrationTest, SecondRunAppliesNothing) {
    auto first = run_migrations(loop_, *conn_);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const std::string applied_at = scalar("SELECT max(applied_at) FROM schema_migrations");
    auto second = run_migrations(loop_, *conn_);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(*second, latest_version());
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), std::to_string(latest_version()));
    EXPECT_EQ(scalar("SELECT max(applied_at) FROM schema_migrations"), applied_at);
}

TEST_F(MigrationTest, ThreeConcurrentRunnersApplyOnce) {
    std::vector<std::unique_ptr<PgConnection>> conns;
    for (int i = 0; i < 3; ++i) conns.push_back(connected(loop_, db_url_, kTimeouts));
    std::vector<std::optional<Result<int>>> results(3);
    for (int i = 0; i < 3; ++i)
        MigrationRunner(*conns[i]).run([&results, i](Result<int> r) { results[i] = std::move(r); });
    ASSERT_TRUE(run_until(loop_, [&] {
        for (auto& r : results)
            if (!r) return false;
        return true;
    }));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(results[i]->ok()) << "runner " << i << ": " << results[i]->error().message;
        EXPECT_EQ(**results[i], latest_version());
    }
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), std::to_string(latest_version()));
    EXPECT_EQ(scalar("SELECT count(*) FROM modules"), "0");
}

TEST_F(MigrationTest, NewerDatabaseIsRefused) {
    ASSERT_TRUE(run_query(loop_, *conn_,
                          "CREATE TABLE schema_migrations (version int PRIMARY KEY, "
                          "applied_at timestamptz NOT NULL DEFAULT now())")
                    .ok());
    ASSERT_TRUE(run_query(loop_, *conn_, "INSERT INTO schema_migrations VALUES (999)").ok());
    auto r = run_migrations(loop_, *conn_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "database schema version 999 is newer than this spoke-server knows (" +
                  std::to_string(latest_version()) + ")");
    EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                     "'modules'"),
              "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
    EXPECT_EQ(conn_->state(), PgConnection::State::Idle);
}

TEST_F(MigrationTest, FailedMigrationRollsBackAndReleasesTheLock) {
    const std::vector<Migration> broken = {
        {1, "0001_broken", "CREATE TABLE half_done (x int);\nSELECT no_such_column;\n"}};
    std::optional<Result<int>> out;
    MigrationRunner(*conn_, broken).run([&](Result<int> r) { out = std::move(r); });
    ASSERT_TRUE(run_until(loop_, [&] { return out.has_value(); }));
    ASSERT_FALSE(out->ok());
    EXPECT_NE(out->error().message.find("no_such_column"), std::string::npos)
        << out->error().message;
    EXPECT_EQ(conn_->state(), PgConnection::State::Idle);
    EXPECT_EQ(scalar("SELECT to_regclass('half_done') IS NULL"), "t");
    EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(MigrationTest, ChecksRejectBadModuleNameAndCompatibility) {
    auto r = run_migrations(loop_, *conn_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto good = run_query(loop_, *conn_, "INSERT INTO modules (name) VALUES ('acme.billing-v2')");
    ASSERT_TRUE(good.ok()) << good.error().message;
    EXPECT_EQ(scalar("SELECT compatibility FROM modules"), "BACKWARD");
    for (const char* bad : {"'../x'", "''", "'Upper'", "'9lives'", "repeat('a', 129)"}) {
        auto rejected = run_query(loop_, *conn_,
                                  std::string("INSERT INTO modules (name) VALUES (") + bad + ")");
        ASSERT_FALSE(rejected.ok()) << bad;
        EXPECT_EQ(rejected.error().sqlstate, "23514") << bad << ": " << rejected.error().message;
    }
    auto bad_compat = run_query(
        loop_, *conn_, "INSERT INTO modules (name, compatibility) VALUES ('ok', 'SIDEWAYS')");
    ASSERT_FALSE(bad_compat.ok());
    EXPECT_EQ(bad_compat.error().sqlstate, "23514") << bad_compat.error().message;
    auto bad_update = run_query(loop_, *conn_, "UPDATE modules SET compatibility = 'backward'");
    ASSERT_FALSE(bad_update.ok());
    EXPECT_EQ(bad_update.error().sqlstate, "23514");
}

// Migration 0003's spoke_prerelease_key must order pre-releases exactly as the server's
// compare_precedence: `latest` is the first row of an index over it.
TEST_F(MigrationTest, PrereleaseKeyOrdersAsSemverPrecedence) {
    ASSERT_TRUE(run_migrations(loop_, *conn_).ok());
    // semver.org's examples, prefixes of one another, numbers of different lengths, '-' inside
    // identifiers (it sorts after '!', the key's separator), and random lists.
    std::vector<std::string> pres = {"alpha",     "alpha.1", "alpha.beta", "beta",    "beta.2",
                                     "beta.11",   "rc.1",    "1",          "2",       "10",
                                     "9.9",       "10.1",    "alpha-x",    "alpha.-", "-",
                                     "a.b.c",     "a.b",     "a.b.c.d",    "0",       "0.a",
                                     "123456789", "A",       "Z.1",        "z",       "x-1.2"};
    std::mt19937 random(20261203);
    const std::vector<std::string> parts = {"0", "1", "2",  "9",  "10", "11", "99", "100",
                                            "a", "b", "ab", "a-", "-a", "rc", "RC", "beta"};
    for (int i = 0; i < 150; ++i) {
        std::string p;
        const int n = 1 + static_cast<int>(random() % 4);
        for (int k = 0; k < n; ++k) p += (k ? "." : "") + parts[random() % parts.size()];
        pres.push_back(p);
    }
    auto keyed = run_query(loop_, *conn_,
                           "SELECT p, spoke_prerelease_key(p) FROM unnest($1::text[]) AS t(p)",
                           {registry_sql::text_array(pres)});
    ASSERT_TRUE(keyed.ok()) << keyed.error().message;
    const PgResult& r = keyed.value();
    ASSERT_EQ(r.rows(), static_cast<int>(pres.size()));
    std::vector<std::pair<Semver, std::string>> versions;
    for (int row = 0; row < r.rows(); ++row) {
        auto sv = parse_semver("1.0.0-" + std::string(r.value(row, 0)));
        ASSERT_TRUE(sv.has_value()) << r.value(row, 0);
        versions.emplace_back(std::move(*sv), std::string(r.value(row, 1)));
    }
    for (const auto& [a, key_a] : versions) {
        for (const auto& [b, key_b] : versions) {
            const int want = compare_precedence(a, b);
            const int got = key_a < key_b ? -1 : (key_a == key_b ? 0 : 1);
            ASSERT_EQ(got, want < 0 ? -1 : (want == 0 ? 0 : 1))
                << "1.0.0-" << a.prerelease.size() << " identifiers: keys " << key_a << " / "
                << key_b;
        }
    }
    EXPECT_EQ(scalar("SELECT spoke_prerelease_key('')"), "");
}

// A database at schema version 2 with versions in it: migration 0003 fills the new columns from
// what is there, and the module reads then answer as before.
TEST_F(MigrationTest, ReadPathsMigrationBackfillsExistingModules) {
    const auto& all = embedded_migrations();
    ASSERT_GE(all.size(), 3u);
    std::optional<Result<int>> v2;
    MigrationRunner(*conn_, {all[0], all[1]}).run([&](Result<int> r) { v2 = std::move(r); });
    ASSERT_TRUE(run_until(loop_, [&] { return v2.has_value(); }));
    ASSERT_TRUE(v2->ok() && **v2 == 2);
    const char* setup[] = {
        "INSERT INTO modules (name, updated_at) VALUES ('acme', '2026-01-01Z'), ('empty', "
        "'2026-02-01Z')",
        "INSERT INTO versions (module_id, version, version_key, digest, created_at, major, minor, "
        "patch, prerelease, is_prerelease) SELECT m.id, v.version, v.version, 'sha256:' || "
        "repeat('0', 64), v.at::timestamptz, v.major, 0, 0, v.pre, v.pre <> '' FROM modules m, "
        "(VALUES ('1.0.0', '2026-01-02Z', 1, ''), ('2.0.0-beta.11', '2026-01-05Z', 2, 'beta.11'), "
        "('2.0.0-beta.2', '2026-01-04Z', 2, 'beta.2'), ('1.0.0-rc.1', '2026-01-03Z', 1, "
        "'rc.1')) AS v(version, at, major, pre) WHERE m.name = 'acme'",
        "INSERT INTO version_files (version_id, path, sha256, size, object_key) SELECT v.id, "
        "f.path, repeat('a', 64), f.size, 'k' FROM versions v, (VALUES ('b.proto', 2), ('B.proto', "
        "1), ('a/z.proto', 3)) AS f(path, size) WHERE v.version = '1.0.0'",
        "INSERT INTO version_dependencies (version_id, depends_on_version_id) SELECT a.id, b.id "
        "FROM versions a, versions b WHERE a.version = '2.0.0-beta.2' AND b.version IN ('1.0.0', "
        "'1.0.0-rc.1')",
    };
    for (const char* sql : setup) ASSERT_TRUE(run_query(loop_, *conn_, sql).ok()) << sql;

    auto migrated = run_migrations(loop_, *conn_);
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    EXPECT_EQ(*migrated, latest_version());
    EXPECT_EQ(scalar("SELECT string_agg(version || '=' || prerelease_key, ',' ORDER BY version) "
                     "FROM versions"),
              "1.0.0=,1.0.0-rc.1=2rc!100011!,2.0.0-beta.11=2beta!1000211!,"
              "2.0.0-beta.2=2beta!100012!");

    // The lists on the rows, as kPutVersion writes them: files and dependencies in byte order.
    const std::string aaa(64, 'a');
    EXPECT_EQ(scalar("SELECT file_list::text FROM versions WHERE version = '1.0.0'"),
              "[[\"B.proto\", \"" + aaa + "\", 1], [\"a/z.proto\", \"" + aaa +
                  "\", 3], [\"b.proto\", \"" + aaa + "\", 2]]");
    EXPECT_EQ(scalar("SELECT dependency_list::text FROM versions WHERE version = '2.0.0-beta.2'"),
              "[\"acme@1.0.0\", \"acme@1.0.0-rc.1\"]");
    EXPECT_EQ(scalar("SELECT file_list::text || dependency_list::text FROM versions WHERE "
                     "version = '1.0.0-rc.1'"),
              "[][]");

    auto acme = run_query(loop_, *conn_, registry_sql::kGetModule, {"acme"});
    ASSERT_TRUE(acme.ok()) << acme.error().message;
    auto m = registry_sql::decode_module(acme.value(), 0, 0);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->version_count, 4u);
    EXPECT_EQ(m->latest_version, std::optional<std::string>("1.0.0"));  // releases first
    EXPECT_EQ(m->updated_at, 1767571200000);                            // 2026-01-05, a push

    auto empty = run_query(loop_, *conn_, registry_sql::kGetModule, {"empty"});
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    auto e = registry_sql::decode_module(empty.value(), 0, 0);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->version_count, 0u);
    EXPECT_FALSE(e->latest_version.has_value());
    EXPECT_EQ(e->updated_at, 1769904000000);  // 2026-02-01, its own

    // Without the release, the greatest pre-release: beta.11 over beta.2 (numbers, not text).
    for (const char* sql : {"DELETE FROM version_dependencies",
                            "DELETE FROM versions WHERE version IN ('1.0.0', '1.0.0-rc.1')"}) {
        auto deleted = run_query(loop_, *conn_, sql);
        ASSERT_TRUE(deleted.ok()) << sql << ": " << deleted.error().message;
    }
    auto pre = run_query(loop_, *conn_, registry_sql::kGetModule, {"acme"});
    ASSERT_TRUE(pre.ok()) << pre.error().message;
    auto p = registry_sql::decode_module(pre.value(), 0, 0);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->latest_version, std::optional<std::string>("2.0.0-beta.11"));
}

}  // namespace
}  // namespace spoke
