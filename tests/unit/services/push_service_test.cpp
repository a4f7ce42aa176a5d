// PushService against real filesystem storage and a real worker pool: the stages in order, the
// descriptor cache it seeds, the gate's Incompatible outcome, and a push whose caller is gone.

#include "services/push_service.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/filesystem/filesystem_backend.hpp"
#include "backends/filesystem/filesystem_store.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "services/auth/auth_shared.hpp"
#include "services/services.hpp"
#include "services/work_admissions.hpp"
#include "tests/support/run_until.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

constexpr const char* kV1 =
    "syntax = \"proto3\";\npackage acme;\nimport "
    "\"google/protobuf/timestamp.proto\";\n"
    "message User { int32 age = 1; google.protobuf.Timestamp seen = 2; }\n";
// Changes the field's wire type: a BACKWARD error.
constexpr const char* kV2Breaking =
    "syntax = \"proto3\";\npackage acme;\nimport \"google/protobuf/timestamp.proto\";\n"
    "message User { string age = 1; google.protobuf.Timestamp seen = 2; }\n";

class PushServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = open_filesystem_backend(dir.sub("root"), 1 << 20);
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        backend = std::move(opened).value();
        auto& store = static_cast<FilesystemBackend&>(*backend).store();
        ASSERT_TRUE(store.create_module("acme", "").ok());
        ASSERT_TRUE(store.set_compatibility("acme", "BACKWARD").ok());
        storage = backend->attach(loop, pool);
        services = std::make_unique<Services>(
            ServiceEnv{loop, pool, *storage, limits, admissions, descriptors, auth});
    }
    void TearDown() override {
        services.reset();
        storage.reset();
    }

    PushInput input(const std::string& version, const char* text, LifetimeGuard wanted) {
        ValidatedPush push;
        push.module = "acme";
        push.version = version;
        push.files = {{"acme/user.proto", text}};
        return PushInput{std::move(push), std::move(wanted)};
    }

    Result<PushOutcome> push(PushInput in) {
        std::optional<Result<PushOutcome>> out;
        services->push.push(std::move(in),
                            [&out](Result<PushOutcome> r) { out.emplace(std::move(r)); });
        EXPECT_FALSE(out.has_value());  // never inline
        EXPECT_TRUE(testing::run_until(loop, [&] { return out.has_value(); }));
        return out ? std::move(*out) : Result<PushOutcome>(Error::internal("no completion"));
    }

    std::vector<VersionRecord> versions() {
        std::optional<Result<std::vector<VersionRecord>>> out;
        storage->list_versions(
            "acme", [&out](Result<std::vector<VersionRecord>> r) { out.emplace(std::move(r)); });
        EXPECT_TRUE(testing::run_until(loop, [&] { return out.has_value(); }));
        return out && out->ok() ? std::move(**out) : std::vector<VersionRecord>{};
    }

    test::TempDir dir;
    std::unique_ptr<StorageBackend> backend;
    EventLoop loop{0};
    WorkerPool pool{2, 64u << 20};
    WorkAdmissions admissions{4};
    DescriptorCache descriptors{1 << 20};
    AuthShared auth{AuthSettings{}};
    PushLimits limits;
    std::unique_ptr<Storage> storage;
    std::unique_ptr<Services> services;
    Lifetime request;  // stands for the HTTP exchange
};

// The set's files, each with whether it carries source info (any location).
std::vector<std::pair<std::string, bool>> source_info_by_file(const std::string& set_bytes) {
    google::protobuf::FileDescriptorSet set;
    std::vector<std::pair<std::string, bool>> out;
    if (!set.ParseFromString(set_bytes)) return out;
    for (const auto& f : set.file())
        out.emplace_back(f.name(), f.source_code_info().location_size() > 0);
    return out;
}

TEST_F(PushServiceTest, StoresAndSeedsTheDescriptorCacheWithAndWithoutSourceInfo) {
    auto r = push(input("1.0.0", kV1, request.guard()));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto* stored = std::get_if<PushStored>(&*r);
    ASSERT_NE(stored, nullptr);
    EXPECT_EQ(stored->put.outcome, PutOutcome::Created);
    EXPECT_EQ(stored->put.record.version, "1.0.0");

    DescriptorSetPtr plain = descriptors.find("acme", "1.0.0", SetDetail::Plain);
    DescriptorSetPtr with_info = descriptors.find("acme", "1.0.0", SetDetail::SourceInfo);
    ASSERT_TRUE(plain && with_info);
    EXPECT_EQ(plain->digest, stored->put.record.digest);
    using Files = std::vector<std::pair<std::string, bool>>;
    EXPECT_EQ(source_info_by_file(*plain->bytes),
              (Files{{"google/protobuf/timestamp.proto", false}, {"acme/user.proto", false}}));
    // The compile's own flavour: the well-known types without theirs (lint and the gate do not
    // read them).
    EXPECT_EQ(source_info_by_file(*with_info->bytes),
              (Files{{"google/protobuf/timestamp.proto", false}, {"acme/user.proto", true}}));
    // What the descriptor route serves with source info (the well-known types' added) is made
    // when first asked for, not by the push.
    EXPECT_EQ(services->descriptors.cached("acme", "1.0.0", true), nullptr);

    // The same push again is Identical, not a conflict, and is not gated against itself.
    auto again = push(input("1.0.0", kV1, request.guard()));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(std::get<PushStored>(*again).put.outcome, PutOutcome::Identical);
    EXPECT_EQ(admissions.compile.in_flight(), 0u);
    EXPECT_EQ(admissions.lint.in_flight(), 0u);
}

TEST_F(PushServiceTest, ABreakingPushIsIncompatibleAndNothingIsStored) {
    ASSERT_TRUE(push(input("1.0.0", kV1, request.guard())).ok());
    auto r = push(input("2.0.0", kV2Breaking, request.guard()));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto* rejected = std::get_if<PushIncompatible>(&*r);
    ASSERT_NE(rejected, nullptr);
    EXPECT_FALSE(rejected->verdict.compatible());
    EXPECT_EQ(rejected->verdict.old_version, "1.0.0");
    EXPECT_EQ(rejected->verdict.new_version, "2.0.0");
    auto listed = versions();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].version, "1.0.0");
    EXPECT_EQ(services->descriptors.cached("acme", "2.0.0", false), nullptr);
}

TEST_F(PushServiceTest, AnAbandonedPushStopsAtItsNextStageAndLogsWhereItWas) {
    std::optional<Result<PushOutcome>> out;
    ::testing::internal::CaptureStdout();
    {
        Lifetime deadline_fires;
        services->push.push(input("1.0.0", kV1, deadline_fires.guard()),
                            [&out](Result<PushOutcome> r) { out.emplace(std::move(r)); });
        // The request is answered (deadline) while the module lookup is in flight.
    }
    ASSERT_TRUE(testing::run_until(loop, [&] { return out.has_value(); }));
    const std::string log = ::testing::internal::GetCapturedStdout();
    ASSERT_FALSE(out->ok());
    EXPECT_EQ(out->error().code, ErrorCode::Unavailable);
    EXPECT_NE(log.find("\"msg\":\"push abandoned\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"stage\":\"check_module\""), std::string::npos) << log;
    EXPECT_TRUE(versions().empty());
    EXPECT_EQ(admissions.compile.in_flight(), 0u);
}

TEST_F(PushServiceTest, APushNobodyWaitsForDoesNothingAndStillCompletesLater) {
    LifetimeGuard gone;  // guards nothing: the request is already answered
    auto r = push(input("1.0.0", kV1, gone));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(versions().empty());
}

TEST(PushStageName, NamesEveryStage) {
    EXPECT_EQ(push_stage_name(PushStage::CheckModule), "check_module");
    EXPECT_EQ(push_stage_name(PushStage::LoadDependencies), "load_dependencies");
    EXPECT_EQ(push_stage_name(PushStage::Compile), "compile");
    EXPECT_EQ(push_stage_name(PushStage::Lint), "lint");
    EXPECT_EQ(push_stage_name(PushStage::Gate), "gate");
    EXPECT_EQ(push_stage_name(PushStage::Store), "store");
    EXPECT_EQ(push_stage_name(PushStage::Done), "done");
}

}  // namespace
}  // namespace spoke
