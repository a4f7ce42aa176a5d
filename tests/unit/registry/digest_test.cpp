#include "registry/digest.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(VersionDigest, MatchesDocumentedLayout) {
    std::vector<FileEntry> files = {{"b.proto", sha256_hex("b"), 1},
                                    {"a.proto", sha256_hex("a"), 1}};
    std::vector<std::string> deps = {"z@1.0.0", "m@2.0.0"};
    std::string input;
    for (const auto& [path, content] : {std::pair{"a.proto", "a"}, std::pair{"b.proto", "b"}}) {
        input +=
            std::string("file\0", 5) + path + std::string("\0", 1) + sha256_hex(content) + "\n";
    }
    input += std::string("dep\0", 4) + "m@2.0.0\n";
    input += std::string("dep\0", 4) + "z@1.0.0\n";
    EXPECT_EQ(version_digest(files, deps), "sha256:" + sha256_hex(input));
}

TEST(VersionDigest, StableAndOrderIndependent) {
    std::vector<FileEntry> a = {{"x.proto", sha256_hex("x"), 1}, {"y/z.proto", sha256_hex("z"), 1}};
    std::vector<FileEntry> b = {a[1], a[0]};
    const std::string d1 = version_digest(a, {"p@1.0.0", "q@1.0.0"});
    EXPECT_EQ(d1, version_digest(b, {"q@1.0.0", "p@1.0.0"}));
    EXPECT_EQ(d1, version_digest(a, {"p@1.0.0", "q@1.0.0"}));
    EXPECT_EQ(d1.rfind("sha256:", 0), 0u);
    EXPECT_EQ(d1.size(), 7u + 64u);
}

TEST(VersionDigest, SensitiveToContentPathsAndDependencies) {
    std::vector<FileEntry> a = {{"x.proto", sha256_hex("x"), 1}};
    std::vector<FileEntry> renamed = {{"y.proto", sha256_hex("x"), 1}};
    std::vector<FileEntry> changed = {{"x.proto", sha256_hex("X"), 1}};
    const std::string base = version_digest(a, {});
    EXPECT_NE(base, version_digest(renamed, {}));
    EXPECT_NE(base, version_digest(changed, {}));
    EXPECT_NE(base, version_digest(a, {"p@1.0.0"}));
}

}  // namespace
}  // namespace spoke
