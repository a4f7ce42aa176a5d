// FilesystemStore against a temporary root: records, identity, queries, durability, races.

#include "backends/filesystem/filesystem_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using test::simple_draft;
using test::TempDir;
namespace fs = std::filesystem;

std::unique_ptr<FilesystemStore> open_store(const std::string& root, size_t cache = 1 << 20) {
    auto store = FilesystemStore::open(root, cache);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

class FilesystemStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        store = open_store(dir.path());
        ASSERT_NE(store, nullptr);
    }
    void reopen(size_t cache = 1 << 20) {
        store.reset();
        store = open_store(dir.path(), cache);
        ASSERT_NE(store, nullptr);
    }
    void make_module(const std::string& name) { ASSERT_TRUE(store->create_module(name, "d").ok()); }
    PutOutcome put(const VersionDraft& d) {
        auto r = store->put_version(d);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? r->outcome : PutOutcome::Created;
    }

    TempDir dir;
    std::unique_ptr<FilesystemStore> store;
};

TEST_F(FilesystemStoreTest, CreatesAndGetsModules) {
    auto m = store->create_module("acme.users", "User schemas");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->name, "acme.users");
    EXPECT_EQ(m->description, "User schemas");
    EXPECT_GT(m->created_at, 0);
    EXPECT_EQ(m->updated_at, m->created_at);
    EXPECT_FALSE(m->latest_version.has_value());
    EXPECT_EQ(m->version_count, 0u);

    auto again = store->create_module("acme.users", "other");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::ModuleExists);

    auto got = store->get_module("acme.users");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->description, "User schemas");

    auto missing = store->get_module("nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
}

TEST_F(FilesystemStoreTest, RefusesNamesThatCouldEscapeTheRoot) {
    for (const char* name : {"../evil", "a/b", "", "..", "Upper"}) {
        auto r = store->create_module(name, "");
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().message.find(dir.path()), std::string::npos);
    }
    make_module("ok");
    auto bad_path = simple_draft("ok", "1.0.0");
    bad_path.record.files[0].path = bad_path.files[0].path = "../../escape.proto";
    EXPECT_FALSE(store->put_version(bad_path).ok());
    auto bad_version = simple_draft("ok", "1.0.0/../../x");
    EXPECT_FALSE(store->put_version(bad_version).ok());
    EXPECT_FALSE(fs::exists(fs::path(dir.path()).parent_path() / "escape.proto"));
}

TEST_F(FilesystemStoreTest, ListsModulesByPrefixWithPaging) {
    for (const char* n : {"beta", "alpha.b", "alpha.a", "alpha.c", "gamma"}) make_module(n);
    auto all = store->list_modules({"", 100, 0, ""});
    ASSERT_EQ(all.modules.size(), 5u);
    EXPECT_EQ(all.total, 5u);
    EXPECT_EQ(all.modules[0].name, "alpha.a");
    EXPECT_EQ(all.modules[4].name, "gamma");

    auto page = store->list_modules({"alpha", 2, 1, ""});
    EXPECT_EQ(page.total, 3u);
    ASSERT_EQ(page.modules.size(), 2u);
    EXPECT_EQ(page.modules[0].name, "alpha.b");
    EXPECT_EQ(page.modules[1].name, "alpha.c");

    auto past_end = store->list_modules({"alpha", 10, 7, ""});
    EXPECT_EQ(past_end.total, 3u);
    EXPECT_TRUE(past_end.modules.empty());

    EXPECT_EQ(store->list_modules({"zzz", 10, 0, ""}).total, 0u);

    // A keyset page: names after `after` (which need not exist), the total still the prefix's.
    auto after = store->list_modules({"alpha", 10, 0, "alpha.a"});
    EXPECT_EQ(after.total, 3u);
    ASSERT_EQ(after.modules.size(), 2u);
    EXPECT_EQ(after.modules[0].name, "alpha.b");
    auto between = store->list_modules({"", 2, 0, "alpha.bb"});
    ASSERT_EQ(between.modules.size(), 2u);
    EXPECT_EQ(between.modules[0].name, "alpha.c");
    EXPECT_EQ(between.modules[1].name, "beta");
    auto after_then_offset = store->list_modules({"", 10, 1, "alpha.c"});
    ASSERT_EQ(after_then_offset.modules.size(), 1u);
    EXPECT_EQ(after_then_offset.modules[0].name, "gamma");
    EXPECT_TRUE(store->list_modules({"", 10, 0, "gamma"}).modules.empty());
}

TEST_F(FilesystemStoreTest, PutsAndGetsVersions) {
    make_module("users");
    auto draft = simple_draft("users", "1.0.0", "message User {}", {}, 5000);
    auto put = store->put_version(draft);
    ASSERT_TRUE(put.ok());
    EXPECT_EQ(put->outcome, PutOutcome::Created);
    EXPECT_EQ(put->record.digest, draft.record.digest);

    auto snap = store->get_version("users", "1.0.0");
    ASSERT_TRUE(snap.ok());
    ASSERT_EQ((*snap)->files.size(), 1u);
    EXPECT_EQ((*snap)->files[0].content, draft.files[0].content);
    EXPECT_EQ((*snap)->record.digest, draft.record.digest);

    auto m = store->get_module("users");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->version_count, 1u);
    EXPECT_EQ(m->latest_version, "1.0.0");
    EXPECT_EQ(m->updated_at, 5000 > m->created_at ? 5000 : m->created_at);

    auto missing_version = store->get_version("users", "2.0.0");
    ASSERT_FALSE(missing_version.ok());
    EXPECT_EQ(missing_version.error().code, ErrorCode::NotFound);
    EXPECT_NE(missing_version.error().message.find("2.0.0"), std::string::npos);

    auto missing_module = store->put_version(simple_draft("ghost", "1.0.0"));
    ASSERT_FALSE(missing_module.ok());
    EXPECT_EQ(missing_module.error().code, ErrorCode::NotFound);
}

TEST_F(FilesystemStoreTest, UpdatedAtIsTheLastPush) {
    make_module("users");
    TimestampMs later = store->get_module("users")->created_at + 60000;
    put(simple_draft("users", "1.0.0", "message A {}", {}, later));
    EXPECT_EQ(store->get_module("users")->updated_at, later);
    reopen();
    EXPECT_EQ(store->get_module("users")->updated_at, later);
}

TEST_F(FilesystemStoreTest, IdenticalRePutAndConflict) {
    make_module("users");
    EXPECT_EQ(put(simple_draft("users", "1.0.0")), PutOutcome::Created);
    auto same = store->put_version(simple_draft("users", "1.0.0", "message A {}", {}, 9999));
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->outcome, PutOutcome::Identical);
    EXPECT_EQ(same->record.created_at, 1000);  // the stored record, not the draft

    auto different = store->put_version(simple_draft("users", "1.0.0", "message B {}"));
    ASSERT_FALSE(different.ok());
    EXPECT_EQ(different.error().code, ErrorCode::VersionExists);
}

TEST_F(FilesystemStoreTest, LeadingVIsTheSameVersion) {
    make_module("users");
    EXPECT_EQ(put(simple_draft("users", "v1.2.3")), PutOutcome::Created);
    auto by_plain = store->get_version("users", "1.2.3");
    ASSERT_TRUE(by_plain.ok());
    EXPECT_EQ((*by_plain)->record.version, "v1.2.3");  // kept as pushed

    EXPECT_EQ(put(simple_draft("users", "1.2.3")), PutOutcome::Identical);
    auto conflict = store->put_version(simple_draft("users", "1.2.3", "message Other {}"));
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.error().code, ErrorCode::VersionExists);
    EXPECT_EQ(store->get_module("users")->version_count, 1u);
    EXPECT_TRUE(fs::exists(dir.sub("modules/users/versions/1.2.3/version.json")));
}

TEST_F(FilesystemStoreTest, VersionsNewestFirstAndLatest) {
    make_module("users");
    auto no_latest = store->get_version("users", "latest");
    ASSERT_FALSE(no_latest.ok());
    EXPECT_EQ(no_latest.error().code, ErrorCode::NotFound);

    put(simple_draft("users", "2.0.0-rc.1"));
    EXPECT_EQ(store->get_module("users")->latest_version, "2.0.0-rc.1");  // only pre-releases
    put(simple_draft("users", "1.0.0"));
    put(simple_draft("users", "v1.10.0"));
    put(simple_draft("users", "1.9.0"));

    auto versions = store->list_versions("users");
    ASSERT_TRUE(versions.ok());
    std::vector<std::string> order;
    for (const auto& v : *versions) order.push_back(v.version);
    EXPECT_EQ(order, (std::vector<std::string>{"2.0.0-rc.1", "v1.10.0", "1.9.0", "1.0.0"}));

    EXPECT_EQ(store->get_module("users")->latest_version, "v1.10.0");
    auto latest = store->get_version("users", "latest");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ((*latest)->record.version, "v1.10.0");

    EXPECT_EQ(store->list_versions("ghost").error().code, ErrorCode::NotFound);
}

TEST_F(FilesystemStoreTest, DependencyClosureIsDependencyFirst) {
    for (const char* n : {"base", "common", "app"}) make_module(n);
    put(simple_draft("base", "1.0.0"));
    put(simple_draft("common", "1.0.0", "message C {}", {"base@1.0.0"}));
    put(simple_draft("app", "1.0.0", "message App {}", {"base@1.0.0", "common@1.0.0"}));

    auto closure = store->dependency_closure({{"app", "latest"}});
    ASSERT_TRUE(closure.ok()) << closure.error().message;
    std::vector<std::string> order;
    for (const auto& r : *closure) order.push_back(r.module_name + "@" + r.version);
    EXPECT_EQ(order, (std::vector<std::string>{"base@1.0.0", "common@1.0.0", "app@1.0.0"}));

    auto two_roots = store->dependency_closure({{"common", "1.0.0"}, {"base", "v1.0.0"}});
    ASSERT_TRUE(two_roots.ok());
    EXPECT_EQ(two_roots->size(), 2u);  // base is not repeated

    auto unknown = store->dependency_closure({{"base", "1.0.0"}, {"foo", "1.0.0"}});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::UnknownDependency);
    EXPECT_EQ(unknown.error().message, "dependency \"foo@1.0.0\" does not exist");
}

TEST_F(FilesystemStoreTest, ListsDirectDependents) {
    for (const char* n : {"base", "zeta", "alpha"}) make_module(n);
    put(simple_draft("base", "1.0.0"));
    put(simple_draft("base", "2.0.0"));
    put(simple_draft("zeta", "1.0.0", "message Z {}", {"base@1.0.0"}));
    put(simple_draft("alpha", "1.10.0", "message A {}", {"base@1.0.0"}));
    put(simple_draft("alpha", "1.9.0", "message A {}", {"base@v1.0.0"}));
    put(simple_draft("alpha", "2.0.0", "message A {}", {"base@2.0.0"}));

    auto deps = store->list_dependents({"base", "1.0.0"});
    ASSERT_TRUE(deps.ok());
    std::vector<std::string> got;
    for (const auto& r : *deps) got.push_back(r.to_string());
    EXPECT_EQ(got, (std::vector<std::string>{"alpha@1.9.0", "alpha@1.10.0", "zeta@1.0.0"}));

    auto latest = store->list_dependents({"base", "latest"});
    ASSERT_TRUE(latest.ok());
    ASSERT_EQ(latest->size(), 1u);
    EXPECT_EQ((*latest)[0].to_string(), "alpha@2.0.0");

    EXPECT_TRUE(store->list_dependents({"alpha", "2.0.0"})->empty());
    EXPECT_EQ(store->list_dependents({"base", "9.9.9"}).error().code, ErrorCode::NotFound);
}

TEST_F(FilesystemStoreTest, PersistsAcrossReopen) {
    make_module("users");
    make_module("orders");
    auto draft =
        test::make_test_draft("users", "v1.0.0",
                              {{"users/v1/user.proto", "syntax = \"proto3\";\nmessage U {}\n"},
                               {"users/v1/deep/nested/x.proto", "syntax = \"proto3\";\n"}},
                              {}, 2000);
    draft.record.source_info = {"github.com/acme/users", "abc123", "main"};
    put(draft);
    put(simple_draft("orders", "1.0.0", "message O {}", {"users@v1.0.0"}));

    reopen(/*cache=*/0);  // every read goes to the disk
    auto page = store->list_modules({"", 100, 0, ""});
    ASSERT_EQ(page.total, 2u);
    auto snap = store->get_version("users", "1.0.0");
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_EQ((*snap)->record.version, "v1.0.0");
    EXPECT_EQ((*snap)->record.source_info.repository, "github.com/acme/users");
    EXPECT_EQ((*snap)->record.source_info.branch, "main");
    EXPECT_EQ((*snap)->record.digest, draft.record.digest);
    ASSERT_EQ((*snap)->files.size(), 2u);
    EXPECT_EQ((*snap)->files[0].path, draft.files[0].path);
    EXPECT_EQ((*snap)->files[1].content, draft.files[1].content);
    EXPECT_EQ(store->cache().entries(), 0u);

    auto dependents = store->list_dependents({"users", "1.0.0"});
    ASSERT_TRUE(dependents.ok());
    ASSERT_EQ(dependents->size(), 1u);
    EXPECT_EQ(store->get_module("users")->latest_version, "v1.0.0");
    EXPECT_EQ(put(draft), PutOutcome::Identical);
}

TEST_F(FilesystemStoreTest, RemovesStagingLeftoversAtOpen) {
    make_module("users");
    write_text(dir.sub("staging/v-crashed/version.json"), "{\"half\":");
    write_text(dir.sub("staging/v-crashed/files/a.proto"), "syntax");
    write_text(dir.sub("staging/stray-file"), "x");
    reopen();
    EXPECT_TRUE(fs::is_empty(dir.sub("staging")));
    EXPECT_TRUE(store->get_module("users").ok());
    EXPECT_EQ(store->list_modules({"", 100, 0, ""}).total, 1u);
}

TEST_F(FilesystemStoreTest, TornAndUnreadableEntriesAreNotVisible) {
    make_module("users");
    put(simple_draft("users", "1.0.0"));
    // A version directory without version.json, as a non-atomic writer would leave it.
    write_text(dir.sub("modules/users/versions/2.0.0/files/a/v1/a.proto"), "partial");
    // Garbage module entries.
    write_text(dir.sub("modules/broken/module.json"), "not json");
    write_text(dir.sub("modules/Bad Name/module.json"), "{}");
    write_text(dir.sub("modules/users/versions/3.0.0/version.json"), "{\"module_name\": 1}");
    reopen();

    EXPECT_EQ(store->get_module("users")->version_count, 1u);
    EXPECT_EQ(store->get_version("users", "2.0.0").error().code, ErrorCode::NotFound);
    EXPECT_EQ(store->get_module("broken").error().code, ErrorCode::NotFound);
    EXPECT_EQ(store->list_modules({"", 100, 0, ""}).total, 1u);

    // The torn remains do not block a real push of that version.
    EXPECT_EQ(put(simple_draft("users", "2.0.0")), PutOutcome::Created);
    reopen(0);
    auto snap = store->get_version("users", "2.0.0");
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    EXPECT_EQ((*snap)->files[0].content, simple_draft("users", "2.0.0").files[0].content);
}

TEST_F(FilesystemStoreTest, CorruptContentIsInternalWithoutPaths) {
    make_module("users");
    put(simple_draft("users", "1.0.0"));
    reopen(0);
    write_text(dir.sub("modules/users/versions/1.0.0/files/a/v1/a.proto"), "tampered");
    auto r = store->get_version("users", "1.0.0");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
    EXPECT_EQ(r.error().message.find(dir.path()), std::string::npos);
}

TEST_F(FilesystemStoreTest, ConcurrentPushesHaveExactlyOneWinner) {
    make_module("users");
    constexpr int kThreads = 8;
    for (int round = 0; round < 5; ++round) {
        const std::string version = "1.0." + std::to_string(round);
        std::atomic<int> created{0}, identical{0}, conflict{0}, other{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                // Half push one content, half another; "v" spelling on odd threads.
                auto d = simple_draft("users", (t % 2 ? "v" : "") + version,
                                      t % 4 < 2 ? "message A {}" : "message B {}");
                while (!go.load()) std::this_thread::yield();
                auto r = store->put_version(d);
                if (r.ok()) {
                    (r->outcome == PutOutcome::Created ? created : identical)++;
                } else {
                    (r.error().code == ErrorCode::VersionExists ? conflict : other)++;
                }
            });
        }
        go = true;
        for (auto& th : threads) th.join();
        EXPECT_EQ(created.load(), 1) << version;
        EXPECT_EQ(other.load(), 0);
        EXPECT_EQ(created + identical + conflict, kThreads);
        EXPECT_EQ(identical.load(), kThreads / 2 - 1);
        EXPECT_EQ(conflict.load(), kThreads / 2);
    }
    EXPECT_EQ(store->get_module("users")->version_count, 5u);
    EXPECT_TRUE(fs::is_empty(dir.sub("staging")));
    reopen();
    EXPECT_EQ(store->get_module("users")->version_count, 5u);
}

TEST_F(FilesystemStoreTest, ConcurrentCreatesHaveExactlyOneWinner) {
    std::atomic<int> created{0}, exists{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            auto r = store->create_module("race", "");
            if (r.ok()) {
                created++;
            } else if (r.error().code == ErrorCode::ModuleExists) {
                exists++;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(created.load(), 1);
    EXPECT_EQ(exists.load(), 5);
}

TEST(FilesystemStoreOpen, CreatesAMissingRoot) {
    TempDir dir;
    auto store = FilesystemStore::open(dir.sub("a/b/root"), 0);
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE(fs::is_directory(dir.sub("a/b/root/modules")));
    EXPECT_TRUE(fs::is_directory(dir.sub("a/b/root/staging")));
}

TEST(FilesystemStoreOpen, FailsClearlyOnAnUnusableRoot) {
    TempDir dir;
    write_text(dir.sub("file"), "x");
    auto store = FilesystemStore::open(dir.sub("file/root"), 0);
    ASSERT_FALSE(store.ok());
    EXPECT_NE(store.error().message.find("not a writable directory"), std::string::npos);
}

}  // namespace
}  // namespace spoke
