#include "backends/cache/snapshot_codec.hpp"

#include <gtest/gtest.h>

#include "registry/digest.hpp"

namespace spoke {
namespace {

VersionSnapshot sample() {
    VersionSnapshot s;
    s.record.module_name = "acme.common";
    s.record.version = "v1.2.3";
    s.record.digest = "sha256:" + std::string(64, 'a');
    s.record.created_at = 1700000000000;
    s.record.dependencies = {"base@1.0.0"};
    for (const std::string& content :
         {std::string("syntax = \"proto3\";\n"), std::string("bin\0ary", 7)}) {
        ProtoFile f{"p/" + std::to_string(s.files.size()) + ".proto", content};
        s.record.files.push_back(FileEntry{f.path, sha256_hex(f.content), f.content.size()});
        s.files.push_back(std::move(f));
    }
    return s;
}

TEST(SnapshotCodecTest, RoundTrips) {
    const VersionSnapshot s = sample();
    auto bytes = encode_snapshot(s);
    ASSERT_TRUE(bytes);
    auto back = decode_snapshot(*bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->record.module_name, "acme.common");
    EXPECT_EQ(back->record.version, "v1.2.3");
    EXPECT_EQ(back->record.dependencies, s.record.dependencies);
    ASSERT_EQ(back->files.size(), 2u);
    EXPECT_EQ(back->files[0].content, s.files[0].content);
    EXPECT_EQ(back->files[1].path, "p/1.proto");
}

TEST(SnapshotCodecTest, AnythingDamagedIsAMiss) {
    auto bytes = *encode_snapshot(sample());
    std::string flipped = bytes;
    flipped[flipped.size() - 2] ^= 1;  // file bytes no longer match their digest
    EXPECT_FALSE(decode_snapshot(flipped));
    EXPECT_FALSE(decode_snapshot(bytes.substr(0, bytes.size() - 1)));
    EXPECT_FALSE(decode_snapshot(bytes + "x"));
    EXPECT_FALSE(decode_snapshot(""));
    EXPECT_FALSE(decode_snapshot("\xff\xff\xff\xff"));
}

TEST(SnapshotCodecTest, KeysFollowTheVersionIdentity) {
    EXPECT_EQ(snapshot_cache_key("m@1.0.0"), "spoke:snap:1:m@1.0.0");
}

}  // namespace
}  // namespace spoke
