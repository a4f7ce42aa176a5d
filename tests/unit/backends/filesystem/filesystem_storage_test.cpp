// FilesystemStorage on a real EventLoop and WorkerPool: completions run later, on the loop thread.

#include "backends/filesystem/filesystem_storage.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "backends/filesystem/filesystem_backend.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using test::simple_draft;
using test::TempDir;

class FilesystemStorageTest : public ::testing::Test {
  protected:
    void SetUp() override { start(1 << 20); }
    void TearDown() override { stop(); }

    void start(size_t cache_bytes) {
        auto opened = open_filesystem_backend(dir.path(), cache_bytes);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        backend = std::move(opened).value();
        loop = std::make_unique<EventLoop>(0);
        pool = std::make_unique<WorkerPool>(2, 1u << 20);
        storage = backend->attach(*loop, *pool);
        thread = std::thread([this] { loop->run(); });
    }
    void stop() {
        if (!loop) return;
        loop->stop();
        thread.join();
        storage.reset();
        pool.reset();  // joined before the loop goes, as the server does
        loop.reset();
        backend.reset();
    }

    // Starts an operation on the loop thread and waits for its completion, checking that it ran
    // on the loop and only after the starting call had returned.
    template <class T, class Start>
    Result<T> call(Start start_op) {
        std::promise<Result<T>> promise;
        auto future = promise.get_future();
        std::atomic<bool> ran_inline{false}, off_loop{false};
        loop->post([&] {
            auto returned = std::make_shared<bool>(false);
            start_op(*storage, Completion<T>([&, returned](Result<T> r) {
                if (!*returned) ran_inline = true;
                if (!loop->is_inside()) off_loop = true;
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

    Result<Module> create(const std::string& name) {
        return call<Module>([&](Storage& s, Completion<Module> done) {
            s.create_module(name, "desc", std::move(done));
        });
    }
    Result<PutVersionResult> put(VersionDraft draft) {
        return call<PutVersionResult>([&](Storage& s, Completion<PutVersionResult> done) {
            s.put_version(std::move(draft), std::move(done));
        });
    }
    Result<VersionSnapshotPtr> get(const std::string& module, const std::string& version) {
        return call<VersionSnapshotPtr>([&](Storage& s, Completion<VersionSnapshotPtr> done) {
            s.get_version(module, version, std::move(done));
        });
    }

    TempDir dir;
    std::unique_ptr<StorageBackend> backend;
    std::unique_ptr<EventLoop> loop;
    std::unique_ptr<WorkerPool> pool;
    std::unique_ptr<Storage> storage;
    std::thread thread;
};

TEST_F(FilesystemStorageTest, ModulesRoundTrip) {
    EXPECT_EQ(backend->name(), "filesystem");
    ASSERT_TRUE(create("users").ok());
    ASSERT_TRUE(create("orders").ok());
    auto dup = create("users");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::ModuleExists);

    auto got = call<Module>(
        [](Storage& s, Completion<Module> done) { s.get_module("users", std::move(done)); });
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->description, "desc");

    auto missing = call<Module>(
        [](Storage& s, Completion<Module> done) { s.get_module("ghost", std::move(done)); });
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);

    auto page = call<ModulePage>([](Storage& s, Completion<ModulePage> done) {
        s.list_modules({"", 1, 1, ""}, std::move(done));
    });
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->total, 2u);
    ASSERT_EQ(page->modules.size(), 1u);
    EXPECT_EQ(page->modules[0].name, "users");
}

TEST_F(FilesystemStorageTest, VersionsRoundTrip) {
    ASSERT_TRUE(create("base").ok());
    ASSERT_TRUE(create("app").ok());
    auto created = put(simple_draft("base", "v1.0.0"));
    ASSERT_TRUE(created.ok());
    EXPECT_EQ(created->outcome, PutOutcome::Created);
    auto same = put(simple_draft("base", "1.0.0"));
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->outcome, PutOutcome::Identical);
    auto conflict = put(simple_draft("base", "1.0.0", "message Other {}"));
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.error().code, ErrorCode::VersionExists);
    ASSERT_TRUE(put(simple_draft("app", "2.0.0", "message App {}", {"base@v1.0.0"})).ok());

    auto snap = get("base", "latest");
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ((*snap)->record.version, "v1.0.0");

    auto versions = call<std::vector<VersionRecord>>(
        [](Storage& s, Completion<std::vector<VersionRecord>> done) {
            s.list_versions("base", std::move(done));
        });
    ASSERT_TRUE(versions.ok());
    EXPECT_EQ(versions->size(), 1u);

    auto page = call<ModuleWithVersions>([](Storage& s, Completion<ModuleWithVersions> done) {
        s.get_module_with_versions("base", std::move(done));
    });
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(page->module.name, "base");
    EXPECT_EQ(page->module.version_count, 1u);
    ASSERT_EQ(page->versions.size(), 1u);
    EXPECT_EQ(page->versions[0].version, "v1.0.0");
    auto no_page = call<ModuleWithVersions>([](Storage& s, Completion<ModuleWithVersions> done) {
        s.get_module_with_versions("ghost", std::move(done));
    });
    ASSERT_FALSE(no_page.ok());
    EXPECT_EQ(no_page.error().code, ErrorCode::NotFound);

    auto closure = call<std::vector<VersionRecord>>(
        [](Storage& s, Completion<std::vector<VersionRecord>> done) {
            s.dependency_closure({{"app", "latest"}}, std::move(done));
        });
    ASSERT_TRUE(closure.ok());
    ASSERT_EQ(closure->size(), 2u);
    EXPECT_EQ((*closure)[0].module_name, "base");

    auto unknown = call<std::vector<VersionRecord>>(
        [](Storage& s, Completion<std::vector<VersionRecord>> done) {
            s.dependency_closure({{"foo", "1.0.0"}}, std::move(done));
        });
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::UnknownDependency);

    auto dependents =
        call<std::vector<VersionRef>>([](Storage& s, Completion<std::vector<VersionRef>> done) {
            s.list_dependents({"base", "1.0.0"}, std::move(done));
        });
    ASSERT_TRUE(dependents.ok());
    ASSERT_EQ(dependents->size(), 1u);
    EXPECT_EQ((*dependents)[0].to_string(), "app@2.0.0");

    auto loaded = call<std::vector<VersionSnapshotPtr>>(
        [](Storage& s, Completion<std::vector<VersionSnapshotPtr>> done) {
            s.load_versions({{"app", "2.0.0"}, {"base", "1.0.0"}}, std::move(done));
        });
    ASSERT_TRUE(loaded.ok());
    ASSERT_EQ(loaded->size(), 2u);
    EXPECT_EQ((*loaded)[0]->record.module_name, "app");
    EXPECT_EQ((*loaded)[1]->record.module_name, "base");

    auto missing = call<std::vector<VersionSnapshotPtr>>(
        [](Storage& s, Completion<std::vector<VersionSnapshotPtr>> done) {
            s.load_versions({{"base", "1.0.0"}, {"base", "3.0.0"}}, std::move(done));
        });
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_F(FilesystemStorageTest, ReadsFromDiskWhenNotCached) {
    ASSERT_TRUE(create("users").ok());
    auto draft = simple_draft("users", "1.0.0");
    ASSERT_TRUE(put(draft).ok());
    stop();
    start(0);  // a new process with no content cache
    auto snap = get("users", "1.0.0");
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_EQ((*snap)->files[0].content, draft.files[0].content);
    auto loaded = call<std::vector<VersionSnapshotPtr>>(
        [](Storage& s, Completion<std::vector<VersionSnapshotPtr>> done) {
            s.load_versions({{"users", "1.0.0"}}, std::move(done));
        });
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ((*loaded)[0]->record.digest, draft.record.digest);
    auto missing = get("users", "9.0.0");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_F(FilesystemStorageTest, HealthProbeIsUp) {
    auto health =
        call<std::vector<StorageCheck>>([](Storage& s, Completion<std::vector<StorageCheck>> done) {
            s.check_health(std::move(done));
        });
    ASSERT_TRUE(health.ok());
    ASSERT_EQ(health->size(), 1u);
    EXPECT_EQ((*health)[0].name, "storage");
    EXPECT_TRUE((*health)[0].up);
    EXPECT_GE((*health)[0].latency_ms, 0);
    EXPECT_TRUE((*health)[0].error.empty());
}

TEST(FilesystemBackendOpen, RefusesAnUnusableRoot) {
    TempDir dir;
    std::FILE* f = std::fopen(dir.sub("file").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    auto opened = open_filesystem_backend(dir.sub("file/root"), 0);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("not a writable directory"), std::string::npos);
}

}  // namespace
}  // namespace spoke

namespace spoke {
namespace {

TEST(FilesystemBackendOpen, RefusesARootAnotherServerHolds) {
    TempDir dir;
    auto first = open_filesystem_backend(dir.sub("root"), 0);
    ASSERT_TRUE(first.ok());
    auto second = open_filesystem_backend(dir.sub("root"), 0);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("in use by another spoke-server"), std::string::npos);
    first.value().reset();  // releasing the first frees the root
    EXPECT_TRUE(open_filesystem_backend(dir.sub("root"), 0).ok());
}

}  // namespace
}  // namespace spoke
