// Code generation artifacts in the filesystem backend: content-addressed files under artifacts/,
// through the store and through the per-loop Storage adapter.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "backends/filesystem/filesystem_backend.hpp"
#include "backends/filesystem/filesystem_store.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/digest.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::TempDir;

const std::string kKey = sha256_hex("an artifact");

std::unique_ptr<FilesystemStore> open_store(const std::string& root) {
    auto store = FilesystemStore::open(root, 1 << 20);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
}

TEST(ArtifactKeys, AreLowercaseSha256HexOnly) {
    EXPECT_TRUE(is_artifact_key(kKey));
    EXPECT_FALSE(is_artifact_key(""));
    EXPECT_FALSE(is_artifact_key(kKey.substr(1)));
    EXPECT_FALSE(is_artifact_key(kKey + "0"));
    std::string upper = kKey;
    upper[0] = 'A';
    EXPECT_FALSE(is_artifact_key(upper));
    EXPECT_FALSE(is_artifact_key("../" + kKey.substr(3)));
    EXPECT_EQ(artifact_location(kKey), "artifacts/" + kKey.substr(0, 2) + "/" + kKey);
}

TEST(FilesystemArtifacts, StoredDurablyUnderTheirKeyAndReadBack) {
    TempDir dir;
    auto store = open_store(dir.path());
    ASSERT_TRUE(store);
    auto absent = store->get_artifact(kKey);
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value());

    const std::string bytes("PK\x03\x04 binary \0 bytes", 19);
    ASSERT_TRUE(store->put_artifact(kKey, bytes).ok());
    EXPECT_TRUE(fs::is_regular_file(dir.sub(artifact_location(kKey))));
    auto got = store->get_artifact(kKey);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, bytes);
    // Storing the same key again is harmless; nothing is left in staging/.
    ASSERT_TRUE(store->put_artifact(kKey, bytes).ok());
    EXPECT_TRUE(fs::is_empty(dir.sub("staging")));

    // Another process (a restart) finds it.
    store.reset();
    store = open_store(dir.path());
    ASSERT_TRUE(store);
    got = store->get_artifact(kKey);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, bytes);
}

TEST(FilesystemArtifacts, MalformedKeysNeverReachThePath) {
    TempDir dir;
    auto store = open_store(dir.path());
    ASSERT_TRUE(store);
    for (const std::string& key :
         {std::string("../../etc/passwd"), std::string("ab"), kKey + "/x"}) {
        auto put = store->put_artifact(key, "x");
        ASSERT_FALSE(put.ok()) << key;
        EXPECT_EQ(put.error().code, ErrorCode::BadRequest);
        auto get = store->get_artifact(key);
        ASSERT_FALSE(get.ok()) << key;
        EXPECT_EQ(get.error().code, ErrorCode::BadRequest);
    }
    EXPECT_TRUE(fs::is_empty(dir.sub("artifacts")));
}

TEST(FilesystemArtifacts, ThroughTheLoopAdapter) {
    TempDir dir;
    auto backend = open_filesystem_backend(dir.path(), 1 << 20);
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    EventLoop loop(0);
    auto pool = std::make_unique<WorkerPool>(2, 1u << 20);
    std::unique_ptr<Storage> storage = (*backend)->attach(loop, *pool);
    std::thread thread([&] { loop.run(); });

    std::promise<Status> stored;
    std::promise<Result<std::optional<std::string>>> read, missing;
    loop.post([&] {
        storage->put_artifact(kKey, "archive bytes", [&](Status s) {
            EXPECT_TRUE(loop.is_inside());
            stored.set_value(std::move(s));
            storage->get_artifact(
                kKey, [&](Result<std::optional<std::string>> r) { read.set_value(std::move(r)); });
            storage->get_artifact(sha256_hex("other"), [&](Result<std::optional<std::string>> r) {
                missing.set_value(std::move(r));
            });
        });
    });
    auto read_future = read.get_future();
    auto missing_future = missing.get_future();
    ASSERT_EQ(read_future.wait_for(10s), std::future_status::ready);
    ASSERT_EQ(missing_future.wait_for(10s), std::future_status::ready);
    EXPECT_TRUE(stored.get_future().get().ok());
    auto got = read_future.get();
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, "archive bytes");
    auto none = missing_future.get();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());

    loop.stop();
    thread.join();
    storage.reset();
    pool.reset();
}

}  // namespace
}  // namespace spoke
