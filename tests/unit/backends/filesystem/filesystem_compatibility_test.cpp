// The filesystem backend's compatibility level: default, durable update, legacy records, races
// with pushes (which rewrite module.json too), and the asynchronous adapter's contract.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "backends/filesystem/filesystem_backend.hpp"
#include "backends/filesystem/filesystem_store.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using test::simple_draft;
using test::TempDir;
namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

class FilesystemCompatibilityTest : public ::testing::Test {
  protected:
    void SetUp() override { reopen(); }
    void reopen() {
        store.reset();
        auto opened = FilesystemStore::open(dir.path(), 1 << 20);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store = std::move(opened).value();
    }
    std::string level_of(const std::string& name) {
        auto m = store->get_module(name);
        EXPECT_TRUE(m.ok());
        return m.ok() ? m->compatibility : "";
    }

    TempDir dir;
    std::unique_ptr<FilesystemStore> store;
};

TEST_F(FilesystemCompatibilityTest, NewModulesAreBackward) {
    ASSERT_TRUE(store->create_module("users", "d").ok());
    EXPECT_EQ(store->create_module("orders", "d")->compatibility, "BACKWARD");
    EXPECT_EQ(level_of("users"), "BACKWARD");
    reopen();
    EXPECT_EQ(level_of("users"), "BACKWARD");
    EXPECT_NE(
        read_text(dir.sub("modules/users/module.json")).find("\"compatibility\":\"BACKWARD\""),
        std::string::npos);
}

TEST_F(FilesystemCompatibilityTest, SetIsVisibleEverywhereAndDurable) {
    ASSERT_TRUE(store->create_module("users", "d").ok());
    ASSERT_TRUE(store->create_module("orders", "d").ok());
    const TimestampMs before = store->get_module("users")->updated_at;
    auto set = store->set_compatibility("users", "FULL_TRANSITIVE");
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->name, "users");
    EXPECT_EQ(set->compatibility, "FULL_TRANSITIVE");
    EXPECT_EQ(set->description, "d");
    EXPECT_GE(set->updated_at, before);
    EXPECT_EQ(level_of("users"), "FULL_TRANSITIVE");
    EXPECT_EQ(level_of("orders"), "BACKWARD");
    auto page = store->list_modules({"", 100, 0, ""});
    ASSERT_EQ(page.modules.size(), 2u);
    EXPECT_EQ(page.modules[0].name, "orders");
    EXPECT_EQ(page.modules[0].compatibility, "BACKWARD");
    EXPECT_EQ(page.modules[1].compatibility, "FULL_TRANSITIVE");

    reopen();
    EXPECT_EQ(level_of("users"), "FULL_TRANSITIVE");
    EXPECT_EQ(store->get_module("users")->updated_at, set->updated_at);
    // The rewrite went through staging/ and left nothing there.
    EXPECT_TRUE(fs::is_empty(dir.sub("staging")));
}

TEST_F(FilesystemCompatibilityTest, UnknownModuleIsNotFoundAndCreatesNothing) {
    auto set = store->set_compatibility("ghost", "NONE");
    ASSERT_FALSE(set.ok());
    EXPECT_EQ(set.error().code, ErrorCode::NotFound);
    EXPECT_FALSE(fs::exists(dir.sub("modules/ghost")));
    // A name that could climb out of the root is simply not a module.
    EXPECT_EQ(store->set_compatibility("../escape", "NONE").error().code, ErrorCode::NotFound);
    EXPECT_TRUE(fs::is_empty(dir.sub("staging")));
}

TEST_F(FilesystemCompatibilityTest, RecordsWithoutALevelReadAsBackward) {
    store.reset();
    write_text(dir.sub("modules/legacy/module.json"),
               R"({"name":"legacy","description":"old","created_at":5,"updated_at":7})");
    fs::create_directories(dir.sub("modules/legacy/versions"));
    write_text(dir.sub("modules/badlevel/module.json"),
               R"({"name":"badlevel","created_at":5,"compatibility":3})");
    reopen();
    auto legacy = store->get_module("legacy");
    ASSERT_TRUE(legacy.ok()) << legacy.error().message;
    EXPECT_EQ(legacy->compatibility, "BACKWARD");
    EXPECT_EQ(legacy->description, "old");
    // A level that is not a string is a malformed record, ignored like any other.
    EXPECT_EQ(store->get_module("badlevel").error().code, ErrorCode::NotFound);

    // Setting a level on a legacy record rewrites it with the field.
    ASSERT_TRUE(store->set_compatibility("legacy", "NONE").ok());
    reopen();
    EXPECT_EQ(level_of("legacy"), "NONE");
    EXPECT_EQ(store->get_module("legacy")->created_at, 5);
}

TEST_F(FilesystemCompatibilityTest, PushesKeepTheLevel) {
    ASSERT_TRUE(store->create_module("users", "d").ok());
    ASSERT_TRUE(store->set_compatibility("users", "FORWARD").ok());
    // put_version rewrites module.json (updated_at): the level must survive that.
    ASSERT_TRUE(store->put_version(simple_draft("users", "1.0.0")).ok());
    EXPECT_EQ(level_of("users"), "FORWARD");
    reopen();
    EXPECT_EQ(level_of("users"), "FORWARD");
    EXPECT_EQ(store->get_module("users")->version_count, 1u);
}

TEST_F(FilesystemCompatibilityTest, ConcurrentSetsAndPushesLeaveTheLastLevelOnDisk) {
    ASSERT_TRUE(store->create_module("users", "d").ok());
    const char* levels[] = {"NONE", "FULL", "FORWARD_TRANSITIVE", "BACKWARD"};
    std::atomic<bool> failed{false};
    std::thread setter([&] {
        for (int i = 0; i < 40; ++i) {
            if (!store->set_compatibility("users", levels[i % 4]).ok()) failed = true;
        }
        if (!store->set_compatibility("users", "FULL_TRANSITIVE").ok()) failed = true;
    });
    std::thread pusher([&] {
        for (int i = 0; i < 40; ++i) {
            auto draft = simple_draft("users", "1.0." + std::to_string(i));
            if (!store->put_version(draft).ok()) failed = true;
        }
    });
    setter.join();
    pusher.join();
    ASSERT_FALSE(failed.load());
    EXPECT_EQ(level_of("users"), "FULL_TRANSITIVE");
    reopen();
    EXPECT_EQ(level_of("users"), "FULL_TRANSITIVE");
    EXPECT_EQ(store->get_module("users")->version_count, 40u);
}

// The asynchronous adapter: runs on the pool, completes later on the loop thread.
TEST(FilesystemStorageCompatibility, CompletesLaterOnTheLoop) {
    TempDir dir;
    auto backend = open_filesystem_backend(dir.path(), 1 << 20);
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    EventLoop loop(0);
    WorkerPool pool(2, 1u << 20);
    auto storage = (*backend)->attach(loop, pool);
    std::thread thread([&] { loop.run(); });

    auto call = [&](auto start) {
        std::promise<Result<Module>> promise;
        auto future = promise.get_future();
        std::atomic<bool> ran_inline{false}, off_loop{false};
        loop.post([&] {
            auto returned = std::make_shared<bool>(false);
            start(*storage, Completion<Module>([&, returned](Result<Module> r) {
                if (!*returned) ran_inline = true;
                if (!loop.is_inside()) off_loop = true;
                promise.set_value(std::move(r));
            }));
            *returned = true;
        });
        if (future.wait_for(10s) != std::future_status::ready) std::abort();
        EXPECT_FALSE(ran_inline.load());
        EXPECT_FALSE(off_loop.load());
        return future.get();
    };
    auto created = call([](Storage& s, Completion<Module> done) {
        s.create_module("users", "d", std::move(done));
    });
    ASSERT_TRUE(created.ok());
    auto set = call([](Storage& s, Completion<Module> done) {
        s.set_compatibility("users", "FULL", std::move(done));
    });
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->compatibility, "FULL");
    auto got =
        call([](Storage& s, Completion<Module> done) { s.get_module("users", std::move(done)); });
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->compatibility, "FULL");
    auto missing = call([](Storage& s, Completion<Module> done) {
        s.set_compatibility("ghost", "FULL", std::move(done));
    });
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);

    loop.stop();
    thread.join();
    storage.reset();
}

}  // namespace
}  // namespace spoke
