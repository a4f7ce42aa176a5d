#pragma once
// FreshDatabase: a gtest fixture with a database of one test's own on the harness's PostgreSQL
// primary (dropped at the end), an admin connection, and backend options that point at it.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "backends/postgres/postgres_backend.hpp"
#include "tests/support/pg_test_support.hpp"
#include "tests/support/s3_test_support.hpp"

namespace spoke::testing {

class FreshDatabase : public ::testing::Test {
  protected:
    static constexpr PgTimeouts kAdminTimeouts{3000, 5000};

    void SetUp() override {
        for (const char* name : {"PG_PRIMARY_URL", "PG_STANDBY_URL"}) {
            if (env_or_empty(name).empty())
                GTEST_FAIL() << name << " is not set: run inside tests/backing/run.sh";
        }
        std::random_device rd;
        db_ = "spoke_test_" + std::to_string(rd()) + std::to_string(rd());
        admin_ = connected(loop_, url_with_db(env_or_empty("PG_PRIMARY_URL"), "postgres"),
                           kAdminTimeouts);
        auto created = run_query(loop_, *admin_, "CREATE DATABASE " + db_);
        ASSERT_TRUE(created.ok()) << created.error().message;
    }
    void TearDown() override {
        if (admin_ && admin_->state() == PgConnection::State::Idle) {
            auto dropped =
                run_query(loop_, *admin_, "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
            EXPECT_TRUE(dropped.ok()) << dropped.error().message;
        }
    }

    std::string db_url(const char* env) const { return url_with_db(env_or_empty(env), db_); }

    // A backend on this database: the primary, the standby as its replica, the harness's S3.
    PostgresBackendOptions backend_options() {
        PostgresBackendOptions options;
        options.pool.primary_conninfo = db_url("PG_PRIMARY_URL");
        options.pool.replica_conninfos = {db_url("PG_STANDBY_URL")};
        options.pool.timeouts = {2000, 3000};
        s3_config_from_env(options.s3);
        options.startup_timeout = std::chrono::seconds(10);
        return options;
    }

    EventLoop loop_{0};
    std::string db_;
    std::unique_ptr<PgConnection> admin_;
};

}  // namespace spoke::testing
