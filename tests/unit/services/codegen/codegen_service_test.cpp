// CodegenService on a real loop, worker pool and filesystem storage: storage hits, single flight,
// the bounded queue, failures, and generate_archives itself. Slow generations come from a plugin
// (a shell script standing for protoc-gen-go) that waits for a gate file the test creates.

#include "services/codegen/codegen_service.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "backends/filesystem/filesystem_backend.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using test::make_test_draft;
using test::TempDir;

const char* kMoney =
    "syntax = \"proto3\";\npackage acme.base.v1;\nmessage Money { int64 units = 1; }\n";
const char* kOrder =
    "syntax = \"proto3\";\npackage acme.shop.v1;\nimport \"acme/base/v1/money.proto\";\n"
    "message Order { acme.base.v1.Money total = 1; }\n";
const char* kProto2 =
    "syntax = \"proto2\";\npackage legacy.v1;\nmessage Old { optional int32 x = 1; }\n";

class CodegenServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // The plugin: reads its request, waits for the gate, answers with no files.
        bin = dir.sub("bin");
        std::filesystem::create_directory(bin);
        gate = dir.sub("gate");
        const std::string plugin = bin + "/protoc-gen-go";
        std::ofstream(plugin) << "#!/bin/sh\ncat >/dev/null\necho x >> " << dir.sub("starts")
                              << "\nwhile [ ! -e " << gate << " ]; do sleep 0.01; done\n";
        ::chmod(plugin.c_str(), 0755);
    }
    void TearDown() override { stop(); }

    void start(CodegenSettings settings = {}) {
        auto opened = open_filesystem_backend(dir.sub("root"), 1 << 20);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        backend = std::move(opened).value();
        auto& store = static_cast<FilesystemBackend&>(*backend).store();
        ASSERT_TRUE(store.create_module("base", "").ok());
        ASSERT_TRUE(store.create_module("app", "").ok());
        ASSERT_TRUE(store.create_module("legacy", "").ok());
        ASSERT_TRUE(store
                        .put_version(make_test_draft("base", "1.0.0",
                                                     {{"acme/base/v1/money.proto", kMoney}}))
                        .ok());
        ASSERT_TRUE(store
                        .put_version(make_test_draft(
                            "app", "1.0.0", {{"acme/shop/v1/order.proto", kOrder}}, {"base@1.0.0"}))
                        .ok());
        ASSERT_TRUE(
            store
                .put_version(make_test_draft("legacy", "1.0.0", {{"legacy/v1/old.proto", kProto2}}))
                .ok());
        // Stored without the push's checks: a version that no longer compiles.
        ASSERT_TRUE(store.create_module("broken", "").ok());
        ASSERT_TRUE(store
                        .put_version(make_test_draft("broken", "1.0.0",
                                                     {{"broken/v1/b.proto", "not a proto file"}}))
                        .ok());
        loop = std::make_unique<EventLoop>(0);
        pool = std::make_unique<WorkerPool>(2, 8u << 20);
        storage = backend->attach(*loop, *pool);
        codegen = std::make_unique<CodegenService>(LanguageCatalog::discover(bin), *pool, settings);
        thread = std::thread([this] { loop->run(); });
    }

    void stop() {
        if (!loop) return;
        open_gate();
        loop->stop();
        thread.join();
        codegen->stop();
        pool.reset();
        storage.reset();
        loop.reset();
        codegen.reset();
    }

    void open_gate() { std::ofstream(gate) << "open"; }

    int plugin_starts() const {
        std::ifstream in(dir.sub("starts"));
        int n = 0;
        for (std::string line; std::getline(in, line);) ++n;
        return n;
    }

    ArtifactRequest request(const std::string& module, const std::string& language,
                            bool wait = true, ArchiveFormat format = ArchiveFormat::Zip) {
        auto& store = static_cast<FilesystemBackend&>(*backend).store();
        ArtifactRequest r;
        r.language = codegen->catalog().find(language);
        EXPECT_NE(r.language, nullptr) << language;
        r.root = store.get_version(module, "1.0.0").value();
        if (module == "app") r.dependencies = store.dependency_closure({{"base", "1.0.0"}}).value();
        r.format = format;
        r.wait = wait;
        return r;
    }

    // Starts every request in one loop turn and waits for all of them.
    std::vector<Result<ArtifactStatus>> obtain_all(std::vector<ArtifactRequest> requests) {
        std::vector<std::promise<Result<ArtifactStatus>>> promises(requests.size());
        loop->post([&] {
            for (size_t i = 0; i < requests.size(); ++i) {
                codegen->obtain(CodegenLoop{*loop, *storage}, std::move(requests[i]),
                                [&promises, i, this](Result<ArtifactStatus> s) {
                                    EXPECT_TRUE(loop->is_inside());
                                    promises[i].set_value(std::move(s));
                                });
            }
        });
        std::vector<Result<ArtifactStatus>> out;
        for (auto& p : promises) {
            auto f = p.get_future();
            if (f.wait_for(30s) != std::future_status::ready) {
                ADD_FAILURE() << "a request never completed";
                std::abort();  // the promises are still referenced by the loop
            }
            out.push_back(f.get());
        }
        return out;
    }
    Result<ArtifactStatus> obtain(ArtifactRequest r) {
        std::vector<ArtifactRequest> one;
        one.push_back(std::move(r));
        return std::move(obtain_all(std::move(one)).front());
    }

    uint64_t count(const std::string& language, CodegenOutcome outcome) {
        return codegen->count(*codegen->catalog().find(language), outcome);
    }

    void wait_for_depth(size_t depth) {
        for (int i = 0; i < 3000 && codegen->queue_depth() != depth; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        ASSERT_EQ(codegen->queue_depth(), depth);
    }

    TempDir dir;
    std::string bin, gate;
    std::unique_ptr<StorageBackend> backend;
    std::unique_ptr<EventLoop> loop;
    std::unique_ptr<WorkerPool> pool;
    std::unique_ptr<Storage> storage;
    std::unique_ptr<CodegenService> codegen;
    std::thread thread;
};

TEST_F(CodegenServiceTest, GeneratesOnceThenFindsBothFormatsInStorage) {
    start();
    auto first = obtain(request("app", "cpp"));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_FALSE(first->cache_hit);
    ASSERT_TRUE(first->archive);
    const auto view = first->progress->view(0);
    EXPECT_EQ(view.stage, GenerationProgress::Stage::Completed);
    EXPECT_EQ(view.artifact_sha256, first->archive->sha256);
    EXPECT_EQ(count("cpp", CodegenOutcome::Generated), 1u);

    auto zip = obtain(request("app", "cpp", false));
    ASSERT_TRUE(zip.ok());
    EXPECT_TRUE(zip->cache_hit);
    EXPECT_EQ(*zip->archive->bytes, *first->archive->bytes);
    auto tar = obtain(request("app", "cpp", true, ArchiveFormat::TarGz));
    ASSERT_TRUE(tar.ok());
    EXPECT_TRUE(tar->cache_hit);
    EXPECT_NE(tar->archive->sha256, first->archive->sha256);
    EXPECT_EQ(count("cpp", CodegenOutcome::CacheHit), 2u);
    EXPECT_EQ(count("cpp", CodegenOutcome::Generated), 1u);
    EXPECT_EQ(codegen->queue_depth(), 0u);
}

TEST_F(CodegenServiceTest, IdenticalConcurrentRequestsShareOneGeneration) {
    start();
    std::vector<ArtifactRequest> requests;
    for (int i = 0; i < 5; ++i) {
        requests.push_back(
            request("app", "python", true, i % 2 ? ArchiveFormat::TarGz : ArchiveFormat::Zip));
    }
    auto results = obtain_all(std::move(requests));
    for (size_t i = 0; i < results.size(); ++i) {
        ASSERT_TRUE(results[i].ok()) << results[i].error().message;
        EXPECT_EQ(*results[i]->archive->bytes, *results[i % 2]->archive->bytes);
    }
    EXPECT_EQ(count("python", CodegenOutcome::Generated), 1u);
    EXPECT_EQ(count("python", CodegenOutcome::Joined) + count("python", CodegenOutcome::CacheHit),
              4u);
}

TEST_F(CodegenServiceTest, AFullQueueRefusesNewWorkButJoinsWhatIsRunning) {
    CodegenSettings settings;
    settings.queue_capacity = 1;
    start(settings);
    auto queued = obtain(request("app", "go", false));
    ASSERT_TRUE(queued.ok()) << queued.error().message;
    EXPECT_FALSE(queued->archive);
    wait_for_depth(1);

    auto refused = obtain(request("app", "cpp"));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(count("cpp", CodegenOutcome::Rejected), 1u);
    auto joined = obtain(request("app", "go", false));
    ASSERT_TRUE(joined.ok());
    EXPECT_EQ(joined->progress, queued->progress);
    EXPECT_EQ(count("go", CodegenOutcome::Joined), 1u);

    open_gate();
    wait_for_depth(0);
    EXPECT_EQ(queued->progress->view(0).stage, GenerationProgress::Stage::Completed);
    EXPECT_EQ(plugin_starts(), 1);
    auto now_ok = obtain(request("app", "cpp"));
    ASSERT_TRUE(now_ok.ok()) << now_ok.error().message;
}

TEST_F(CodegenServiceTest, AFailureReachesEveryWaiterAndIsNotStored) {
    start();
    std::vector<ArtifactRequest> requests;
    requests.push_back(request("legacy", "php"));
    requests.push_back(request("legacy", "php", true, ArchiveFormat::TarGz));
    for (auto& failed : obtain_all(std::move(requests))) {
        ASSERT_FALSE(failed.ok());
        EXPECT_EQ(failed.error().code, ErrorCode::InvalidProto);
        EXPECT_EQ(failed.error().message.rfind("generation failed: php", 0), 0u);
    }
    // Not stored: asking again generates again; a compile request sees the end in its progress.
    const uint64_t failures = count("php", CodegenOutcome::Failed);
    EXPECT_GE(failures, 1u);
    auto admitted = obtain(request("legacy", "php", false));
    ASSERT_TRUE(admitted.ok());
    EXPECT_FALSE(admitted->cache_hit);
    wait_for_depth(0);
    const auto view = admitted->progress->view(0);
    EXPECT_EQ(view.stage, GenerationProgress::Stage::Failed);
    EXPECT_EQ(view.error.rfind("generation failed: php", 0), 0u);
    EXPECT_EQ(count("php", CodegenOutcome::Failed), failures + 1);
}

TEST_F(CodegenServiceTest, TheDeadlineStopsAHangingPluginWithoutNamingIt) {
    CodegenSettings settings;
    settings.timeout = 200ms;
    start(settings);
    auto late = obtain(request("app", "go"));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, ErrorCode::Unavailable);
    EXPECT_NE(late.error().message.find("deadline"), std::string::npos) << late.error().message;
    EXPECT_EQ(late.error().message.find(bin), std::string::npos) << late.error().message;
}

TEST_F(CodegenServiceTest, AFailureOfOursIsAGenerationFailureNotAnInternalError) {
    start();
    auto failed = obtain(request("broken", "ruby"));
    ASSERT_FALSE(failed.ok());
    // 422 to the client, as the contract has it for a generation that failed; never a 500, and
    // the cause (a compile error naming library state) stays in the log.
    EXPECT_EQ(failed.error().code, ErrorCode::InvalidProto);
    EXPECT_EQ(failed.error().message.rfind("generation failed: ruby", 0), 0u)
        << failed.error().message;
    EXPECT_EQ(failed.error().message.find("does not compile"), std::string::npos);
    auto admitted = obtain(request("broken", "ruby", false));
    ASSERT_TRUE(admitted.ok());
    wait_for_depth(0);
    const auto view = admitted->progress->view(0);
    EXPECT_EQ(view.stage, GenerationProgress::Stage::Failed);
    EXPECT_EQ(view.error, failed.error().message);
    EXPECT_EQ(count("ruby", CodegenOutcome::Failed), 2u);
}

TEST(GenerateArchives, CoverOnlyTheDependencyFilesTheVersionImports) {
    auto snapshot = [](VersionDraft d) {
        return std::make_shared<const VersionSnapshot>(VersionSnapshot{d.record, d.files});
    };
    // The dependency has two files; the version imports one of them.
    GenerationJob job;
    job.root = snapshot(
        make_test_draft("app", "1.0.0", {{"acme/shop/v1/order.proto", kOrder}}, {"base@1.0.0"}));
    job.dependencies.push_back(snapshot(make_test_draft(
        "base", "1.0.0",
        {{"acme/base/v1/money.proto", kMoney},
         {"acme/base/v1/rate.proto",
          "syntax = \"proto3\";\npackage acme.base.v1;\nmessage Rate { double r = 1; }\n"}})));
    job.language = "python";
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    auto archives = generate_archives(job, runner, PushLimits{}, 60s);
    ASSERT_TRUE(archives.ok()) << archives.error().message;
    const std::string& zip = *archives->zip.bytes;
    EXPECT_NE(zip.find("acme/shop/v1/order_pb2.py"), std::string::npos);
    EXPECT_NE(zip.find("acme/base/v1/money_pb2.py"), std::string::npos);
    EXPECT_EQ(zip.find("acme/base/v1/rate_pb2"), std::string::npos);
}

TEST(GenerateArchives, CoverTheVersionAndItsDependencies) {
    auto snapshot = [](VersionDraft d) {
        return std::make_shared<const VersionSnapshot>(VersionSnapshot{d.record, d.files});
    };
    GenerationJob job;
    job.root = snapshot(
        make_test_draft("app", "1.0.0", {{"acme/shop/v1/order.proto", kOrder}}, {"base@1.0.0"}));
    job.dependencies.push_back(
        snapshot(make_test_draft("base", "1.0.0", {{"acme/base/v1/money.proto", kMoney}})));
    job.language = "ruby";
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    auto archives = generate_archives(job, runner, PushLimits{}, 60s);
    ASSERT_TRUE(archives.ok()) << archives.error().message;
    const std::string& zip = *archives->zip.bytes;
    EXPECT_NE(zip.find("acme/shop/v1/order_pb.rb"), std::string::npos);
    EXPECT_NE(zip.find("acme/base/v1/money_pb.rb"), std::string::npos);
    EXPECT_EQ(archives->zip.sha256, sha256_hex(zip));
    EXPECT_EQ(archives->tar_gz.sha256, sha256_hex(*archives->tar_gz.bytes));
    EXPECT_EQ(&archives->of(ArchiveFormat::TarGz), &archives->tar_gz);

    // Without its dependency the stored version no longer compiles: our fault, not the client's.
    job.dependencies.clear();
    auto broken = generate_archives(job, runner, PushLimits{}, 60s);
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().code, ErrorCode::Internal);
}

}  // namespace
}  // namespace spoke
