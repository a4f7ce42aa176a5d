// PostgresStorage against the harness's PostgreSQL (primary + standby) and S3: destroyed with
// calls in flight, it completes each exactly once, and no completion touches it afterwards (its
// Lifetime; AddressSanitizer would report a touch of the freed storage).

#include "backends/postgres/postgres_storage.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "backends/postgres/postgres_backend.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/digest.hpp"
#include "tests/support/run_until.hpp"
#include "tests/support/s3_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::run_until;

std::string url_from_env(const char* name) {
    std::string s = testing::env_or_empty(name);
    if (s.empty()) return s;
    return s + (s.find('?') == std::string::npos ? "?" : "&") + "hostaddr=127.0.0.1";
}

// One call's completions: how many, and whether the first was an Unavailable error.
struct Tally {
    int calls = 0;
    bool unavailable = false;
    void record(bool is_unavailable) {
        if (calls++ == 0) unavailable = is_unavailable;
    }
};

template <class T>
bool is_unavailable(const Result<T>& r) {
    return !r.ok() && r.error().code == ErrorCode::Unavailable;
}

VersionDraft draft_for(const std::string& module) {
    static std::mt19937_64 random(std::random_device{}());
    const std::string content =
        "// " + std::to_string(random()) + "\nsyntax = \"proto3\";\npackage t;\n";
    VersionDraft d;
    d.record.module_name = module;
    d.record.version = "1.0.0";
    d.record.digest = "sha256:" + sha256_hex(content);
    d.record.created_at = 1;
    d.record.files.push_back({"t.proto", sha256_hex(content), content.size()});
    d.files.push_back({"t.proto", content});
    return d;
}

class PostgresStorageTest : public ::testing::Test {
  protected:
    void SetUp() override {
        for (const char* name : {"PG_PRIMARY_URL", "PG_STANDBY_URL"}) {
            if (testing::env_or_empty(name).empty())
                GTEST_FAIL() << name << " is not set: run inside tests/backing/run.sh";
        }
        PostgresBackendOptions options;
        options.pool.primary_conninfo = url_from_env("PG_PRIMARY_URL");
        options.pool.replica_conninfos = {url_from_env("PG_STANDBY_URL")};
        options.pool.timeouts = {2000, 3000};
        testing::s3_config_from_env(options.s3);
        if (HasFatalFailure()) return;
        options.startup_timeout = 10s;
        auto opened = open_postgres_backend(std::move(options));
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        backend_ = std::move(*opened);
        // The test thread runs the loop (between the calls it makes on it): one turn makes it
        // the loop's thread, so destroying a storage here completes its calls, not drops them.
        run_until(
            loop_, [] { return false; }, 1ms);
    }

    std::unique_ptr<StorageBackend> backend_;
    EventLoop loop_{0};
    WorkerPool workers_{1};
};

TEST_F(PostgresStorageTest, DestroyedWithCallsInFlightCompletesEachOnce) {
    // Destroyed at once (everything still queued), then after a few loop turns (statements and
    // S3 requests in flight, some completions on their second step).
    for (const auto delay : {0ms, 2ms, 5ms, 15ms, 40ms}) {
        std::unique_ptr<Storage> storage = backend_->attach(loop_, workers_);
        const std::string module = "lifetime-" + std::to_string(delay.count());
        Tally created, got_module, module_page, dependents, put, got_version, health;
        storage->create_module(module, "",
                               [&](Result<Module> r) { created.record(is_unavailable(r)); });
        storage->get_module(module,
                            [&](Result<Module> r) { got_module.record(is_unavailable(r)); });
        storage->get_module_with_versions(
            module, [&](Result<ModuleWithVersions> r) { module_page.record(is_unavailable(r)); });
        storage->list_dependents({module, "1.0.0"}, [&](Result<std::vector<VersionRef>> r) {
            dependents.record(is_unavailable(r));
        });
        storage->put_version(draft_for(module),
                             [&](Result<PutVersionResult> r) { put.record(is_unavailable(r)); });
        storage->get_version(module, "latest", [&](Result<VersionSnapshotPtr> r) {
            got_version.record(is_unavailable(r));
        });
        storage->check_health([&](Result<std::vector<StorageCheck>> r) {
            health.record(r.ok() && !r->empty() && !r->front().up);
        });
        const std::vector<Tally*> all{&created, &got_module,  &module_page, &dependents,
                                      &put,     &got_version, &health};
        if (delay.count() > 0)
            run_until(
                loop_, [] { return false; }, delay);
        storage.reset();
        ASSERT_TRUE(run_until(
            loop_,
            [&] {
                for (Tally* t : all)
                    if (t->calls == 0) return false;
                return true;
            },
            5s))
            << "a call never completed (delay " << delay.count() << "ms)";
        run_until(
            loop_, [] { return false; }, 100ms);  // a second completion would show now
        for (Tally* t : all) EXPECT_EQ(t->calls, 1) << "delay " << delay.count() << "ms";
        if (delay.count() == 0) {
            // Nothing had started: every call ends because the storage went away.
            for (Tally* t : all) EXPECT_TRUE(t->unavailable) << "delay 0";
        }
    }
}

}  // namespace
}  // namespace spoke
