#include "registry/push_request.hpp"

#include <gtest/gtest.h>

#include "registry/digest.hpp"

namespace spoke {
namespace {

PushRequest valid_request() {
    PushRequest r;
    r.module = "acme";
    r.version = "v1.0.0";
    r.files = {{"b.proto", "syntax = \"proto3\";\n"}, {"a/a.proto", "syntax = \"proto3\";\n"}};
    r.dependencies = {"common@1.0.0", "base@latest"};
    r.source_info = {"https://example.com/acme.git", "abc123", "main"};
    return r;
}

Error expect_error(PushRequest r, ErrorCode code, const PushLimits& limits = {}) {
    auto v = validate_push(std::move(r), limits);
    EXPECT_FALSE(v.ok());
    if (v.ok()) return {};
    EXPECT_EQ(v.error().code, code) << v.error().message;
    return std::move(v).error();
}

TEST(ValidatePush, AcceptsAndSortsFiles) {
    auto v = validate_push(valid_request(), {});
    ASSERT_TRUE(v.ok()) << v.error().message;
    ASSERT_EQ(v->files.size(), 2u);
    EXPECT_EQ(v->files[0].path, "a/a.proto");
    EXPECT_EQ(v->files[1].path, "b.proto");
    ASSERT_EQ(v->dependencies.size(), 2u);
    EXPECT_EQ(v->dependencies[1], (VersionRef{"base", "latest"}));
    EXPECT_EQ(v->source_info.branch, "main");
}

TEST(ValidatePush, RejectsBadNames) {
    auto r = valid_request();
    r.module = "Acme";
    expect_error(r, ErrorCode::BadRequest);
    r = valid_request();
    r.version = "latest";
    expect_error(r, ErrorCode::BadRequest);
}

TEST(ValidatePush, RequiresFiles) {
    auto r = valid_request();
    r.files.clear();
    EXPECT_EQ(expect_error(r, ErrorCode::BadRequest).message,
              "files: at least one .proto file is required");
}

TEST(ValidatePush, RejectsBadPathNamingIndex) {
    auto r = valid_request();
    r.files.push_back({"../evil.proto", ""});
    auto e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("files[2].path"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("../evil.proto"), std::string::npos) << e.message;
}

TEST(ValidatePush, RejectsDuplicatePaths) {
    auto r = valid_request();
    r.files.push_back({"x.proto", ""});
    r.files.push_back({"b.proto", ""});
    auto e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("files[3].path"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("duplicates files[0]"), std::string::npos) << e.message;
}

TEST(ValidatePush, RejectsNonUtf8AndNul) {
    auto r = valid_request();
    r.files[0].content = "message A {}\xff";
    auto e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("b.proto"), std::string::npos) << e.message;
    r = valid_request();
    r.files[1].content = std::string("message A {}\n\0", 14);
    e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("a/a.proto"), std::string::npos) << e.message;
    ASSERT_EQ(e.details.size(), 1u);
    EXPECT_EQ(e.details[0].line, 2);
}

TEST(ValidatePush, EnforcesCaps) {
    PushLimits limits;
    limits.max_file_bytes = 10;
    auto r = valid_request();
    r.files[0].content = std::string(11, ' ');
    auto e = expect_error(r, ErrorCode::PayloadTooLarge, limits);
    EXPECT_NE(e.message.find("b.proto"), std::string::npos) << e.message;

    limits = {};
    limits.max_files = 1;
    expect_error(valid_request(), ErrorCode::PayloadTooLarge, limits);

    limits = {};
    limits.max_total_bytes = 30;
    r = valid_request();
    r.files[0].content = std::string(20, ' ');
    r.files[1].content = std::string(20, ' ');
    e = expect_error(r, ErrorCode::PayloadTooLarge, limits);
    EXPECT_NE(e.message.find("30"), std::string::npos) << e.message;
}

TEST(ValidatePush, RejectsBadDependencies) {
    auto r = valid_request();
    r.dependencies.push_back("nope");
    auto e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("dependencies[2]"), std::string::npos) << e.message;

    r = valid_request();
    r.dependencies.push_back("common@v1.0.0");  // same version as common@1.0.0
    e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("more than once"), std::string::npos) << e.message;

    r = valid_request();
    r.dependencies.push_back("acme@0.9.0");
    e = expect_error(r, ErrorCode::BadRequest);
    EXPECT_NE(e.message.find("own module"), std::string::npos) << e.message;
}

TEST(MakeDraft, BuildsRecord) {
    auto v = validate_push(valid_request(), {});
    ASSERT_TRUE(v.ok());
    VersionDraft d = make_draft(std::move(v).value(), {"common@1.0.0", "base@2.1.0"}, 1234);
    EXPECT_EQ(d.record.module_name, "acme");
    EXPECT_EQ(d.record.version, "v1.0.0");
    EXPECT_EQ(d.record.created_at, 1234);
    EXPECT_EQ(d.record.dependencies, (std::vector<std::string>{"base@2.1.0", "common@1.0.0"}));
    ASSERT_EQ(d.record.files.size(), 2u);
    ASSERT_EQ(d.files.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(d.record.files[i].path, d.files[i].path);
        EXPECT_EQ(d.record.files[i].sha256, sha256_hex(d.files[i].content));
        EXPECT_EQ(d.record.files[i].size, d.files[i].content.size());
    }
    EXPECT_EQ(d.record.digest, version_digest(d.record.files, d.record.dependencies));
    EXPECT_EQ(d.record.source_info.commit_sha, "abc123");
}

}  // namespace
}  // namespace spoke
