// A compile with source info gives the well-known types their source_code_info too (as protoc
// --include_source_info does), and stripping it gives exactly the plain compile's bytes.

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

pb::FileDescriptorSet compile_set(const CompileRequest& request) {
    Result<CompiledSchema> out = Error::internal("not run");
    testing::run_on_big_stack([&] { out = compile_schema(request, {}); });
    EXPECT_TRUE(out.ok()) << out.error().message;
    pb::FileDescriptorSet set;
    if (out.ok()) {
        EXPECT_TRUE(set.ParseFromString(out->descriptor_set));
    }
    return set;
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

TEST(WellKnownSourceInfo, ImportedWellKnownTypesCarrySourceInfo) {
    pb::FileDescriptorSet set = compile_set(importing_every_well_known_type(true));
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
    pb::FileDescriptorSet with = compile_set(importing_every_well_known_type(true));
    pb::FileDescriptorSet without = compile_set(importing_every_well_known_type(false));
    ASSERT_EQ(with.file_size(), without.file_size());
    for (int i = 0; i < with.file_size(); ++i) {
        pb::FileDescriptorProto stripped = with.file(i);
        stripped.clear_source_code_info();
        EXPECT_FALSE(without.file(i).has_source_code_info()) << without.file(i).name();
        EXPECT_EQ(stripped.SerializeAsString(), without.file(i).SerializeAsString())
            << with.file(i).name();
    }
}

}  // namespace
}  // namespace spoke
