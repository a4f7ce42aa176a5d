#include "registry/names.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spoke {
namespace {

TEST(ModuleName, AcceptsValidNames) {
    for (const char* name : {"a", "acme", "acme.payments", "a_b-c.d9", "z0"}) {
        EXPECT_TRUE(validate_module_name(name).ok()) << name;
    }
    EXPECT_TRUE(validate_module_name("a" + std::string(127, 'b')).ok());
}

TEST(ModuleName, RejectsInvalidNames) {
    for (const char* name : {"", "A", "9abc", "_a", "-a", "acme/payments", "a b", "acmé", "a@b"}) {
        auto s = validate_module_name(name);
        ASSERT_FALSE(s.ok()) << name;
        EXPECT_EQ(s.error().code, ErrorCode::BadRequest);
    }
    EXPECT_FALSE(validate_module_name("a" + std::string(128, 'b')).ok());
}

TEST(ModuleName, MessageNamesValueAndRule) {
    auto s = validate_module_name("Acme");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("\"Acme\""), std::string::npos);
    EXPECT_NE(s.error().message.find("lowercase"), std::string::npos);
}

TEST(VersionName, AcceptsSemver) {
    for (const char* v : {"1.2.3", "v1.2.3", "0.0.0", "1.2.3-rc.1+build.5", "1.0.0-alpha",
                          "1.0.0+20130313144700", "1.0.0-x-y.7.z.92"}) {
        EXPECT_TRUE(validate_version_name(v).ok()) << v;
    }
}

TEST(VersionName, RejectsInvalid) {
    for (const char* v :
         {"", "latest", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3+",
          "1.2.3-a..b", "V1.2.3", "vv1.2.3", "1.2.3 ", "1.2.3-é"}) {
        auto s = validate_version_name(v);
        ASSERT_FALSE(s.ok()) << v;
        EXPECT_EQ(s.error().code, ErrorCode::BadRequest);
    }
    EXPECT_FALSE(validate_version_name("1.0.0-" + std::string(95, 'a')).ok());  // 101 chars
    EXPECT_TRUE(validate_version_name("1.0.0-" + std::string(94, 'a')).ok());   // 100 chars
}

TEST(VersionName, LatestIsReserved) {
    auto s = validate_version_name("latest");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("reserved"), std::string::npos);
}

TEST(FilePath, AcceptsRelativeProtoPaths) {
    for (const char* p : {"a.proto", "acme/v1/payments.proto", "a-b_c/.hidden/x.proto",
                          "dir.with.dots/file.proto", "ünïcode/ok.proto"}) {
        EXPECT_TRUE(validate_file_path(p).ok()) << p;
    }
}

TEST(FilePath, RejectsBadPaths) {
    const std::string nul_path("a\0b.proto", 9);
    for (const std::string& p :
         {std::string(""), std::string("../a.proto"), std::string("a/../b.proto"),
          std::string("./a.proto"), std::string("a/./b.proto"), std::string("/abs/a.proto"),
          std::string("a\\b.proto"), nul_path, std::string("a\tb.proto"),
          std::string("a\x7f.proto"), std::string("a//b.proto"), std::string("a/"),
          std::string("a.txt"), std::string("a.proto/"), std::string(".proto"),
          std::string("dir/.proto"), std::string("a.PROTO"), std::string("\xff\xfe.proto"),
          std::string("\xc0\xaf.proto")}) {
        auto s = validate_file_path(p);
        ASSERT_FALSE(s.ok()) << p;
        EXPECT_EQ(s.error().code, ErrorCode::BadRequest);
    }
}

TEST(FilePath, LengthLimitIs512Bytes) {
    std::string ok(512 - 6, 'a');
    EXPECT_TRUE(validate_file_path(ok + ".proto").ok());
    EXPECT_FALSE(validate_file_path(ok + "a.proto").ok());
}

TEST(FilePath, MessagesNameValueAndRule) {
    auto s = validate_file_path("../a.proto");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message, "file path \"../a.proto\": \"..\" segments are not allowed");
    auto nul = validate_file_path(std::string("a\0.proto", 8));
    ASSERT_FALSE(nul.ok());
    EXPECT_EQ(nul.error().message.find('\0'), std::string::npos);  // escaped, not raw
    EXPECT_NE(nul.error().message.find("NUL"), std::string::npos);
}

TEST(DependencyRef, Parses) {
    auto r = parse_dependency_ref("acme.common@v1.2.3");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->module, "acme.common");
    EXPECT_EQ(r->version, "v1.2.3");
    auto latest = parse_dependency_ref("acme@latest");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->version, "latest");
    EXPECT_EQ(latest->to_string(), "acme@latest");
}

TEST(DependencyRef, RejectsMalformed) {
    for (const char* ref :
         {"", "acme", "@1.0.0", "acme@", "Acme@1.0.0", "acme@1.0", "acme@1.0.0@x", "acme@@1.0.0"}) {
        auto r = parse_dependency_ref(ref);
        ASSERT_FALSE(r.ok()) << ref;
        EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
        EXPECT_NE(r.error().message.find(std::string("\"") + ref + "\""), std::string::npos)
            << r.error().message;
    }
}

TEST(Utf8, Validates) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\xc0\x80"));          // overlong NUL
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xff"));
}

}  // namespace
}  // namespace spoke
