// with_well_known_source_info gives the well-known types of a set compiled with source info
// their source_code_info too (as protoc --include_source_info does), and stripping it gives
// exactly the plain compile's bytes. Compiles themselves leave it out (it is what the descriptor
// route serves, not what lint and the compatibility checks read).

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <string>

#include "registry/proto_compiler.hpp"
#include "registry/well_known_types.hpp"
#include "tests/support/schema_image_support.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

const char* const kWellKnown[] = {"descriptor", "any",    "duration",      "empty",
                                  "field_mask", "struct", "timestamp",     "wrappers",
                                  "api",        "type",   "source_context"};

CompileRequest importing_every_well_known_type(bool source_info) {
    std::string text = "syntax = \"proto3\";\n";
    for (const char* w : kWellKnown) {
        text += std::string("import \"google/protobuf/") + w + ".proto\";\n";
    }
    text += "message M { google.protobuf.Timestamp at = 1; }\n";
    return CompileRequest{{{"all.proto", text}}, {}, source_info};
}

std::string compile_bytes(const CompileRequest& request) {
    Result<CompiledSchema> out = Error::internal("not run");
    testing::run_on_big_stack([&] { out = compile_schema(request, {}); });
    EXPECT_TRUE(out.ok()) << out.error().message;
    return out.ok() ? out->descriptor_set : std::string();
}

pb::FileDescriptorSet parse_set(const std::string& bytes) {
    pb::FileDescriptorSet set;
    EXPECT_TRUE(set.ParseFromString(bytes));
    return set;
}

// What the descriptor route serves with ?source_info=true.
pb::FileDescriptorSet served_set(const CompileRequest& request) {
    Result<std::string> served = with_well_known_source_info(compile_bytes(request));
    EXPECT_TRUE(served.ok()) << served.error().message;
    return parse_set(served.ok() ? *served : std::string());
}

TEST(WellKnownSourceInfo, EveryWellKnownFileIsEmbedded) {
    for (const char* w : kWellKnown) {
        const std::string path = std::string("google/protobuf/") + w + ".proto";
        bool found = false;
        for (const auto& [p, text] : well_known_sources()) {
            if (p == path) found = !text.empty();
        }
        EXPECT_TRUE(found) << path;
    }
}

TEST(WellKnownSourceInfo, ACompileLeavesTheirsOutAndOnlyTheirs) {
    pb::FileDescriptorSet set = parse_set(compile_bytes(importing_every_well_known_type(true)));
    ASSERT_EQ(set.file_size(), 12);
    for (const auto& f : set.file()) {
        EXPECT_EQ(f.source_code_info().location_size() > 0, f.name() == "all.proto") << f.name();
    }
}

TEST(WellKnownSourceInfo, ServedWellKnownTypesCarrySourceInfo) {
    pb::FileDescriptorSet set = served_set(importing_every_well_known_type(true));
    ASSERT_EQ(set.file_size(), 12);
    for (const auto& f : set.file()) {
        EXPECT_TRUE(f.has_source_code_info()) << f.name();
        EXPECT_GT(f.source_code_info().location_size(), 0) << f.name();
    }
    // Leading comments come from the .proto text, e.g. Timestamp's documentation.
    bool documented = false;
    for (const auto& f : set.file()) {
        if (f.name() != "google/protobuf/timestamp.proto") continue;
        for (const auto& l : f.source_code_info().location()) {
            if (l.leading_comments().find("A Timestamp represents") != std::string::npos) {
                documented = true;
            }
        }
    }
    EXPECT_TRUE(documented);
}

TEST(WellKnownSourceInfo, WithoutSourceInfoTheyAreTheSameDescriptors) {
    pb::FileDescriptorSet with = served_set(importing_every_well_known_type(true));
    pb::FileDescriptorSet without =
        parse_set(compile_bytes(importing_every_well_known_type(false)));
    ASSERT_EQ(with.file_size(), without.file_size());
    for (int i = 0; i < with.file_size(); ++i) {
        pb::FileDescriptorProto stripped = with.file(i);
        stripped.clear_source_code_info();
        EXPECT_FALSE(without.file(i).has_source_code_info()) << without.file(i).name();
        EXPECT_EQ(stripped.SerializeAsString(), without.file(i).SerializeAsString())
            << with.file(i).name();
    }
}

TEST(WellKnownSourceInfo, ASetWithoutWellKnownTypesIsServedUnchanged) {
    const std::string bytes = compile_bytes(CompileRequest{
        {{"plain.proto", "syntax = \"proto3\";\nmessage P { int32 a = 1; }\n"}}, {}, true});
    Result<std::string> served = with_well_known_source_info(bytes);
    ASSERT_TRUE(served.ok());
    EXPECT_EQ(*served, bytes);
    EXPECT_FALSE(with_well_known_source_info("\xff\xff\xff").ok());
}

}  // namespace
}  // namespace spoke
