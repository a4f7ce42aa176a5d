// Picking versions out of a subject's list: numbers, latest, soft-deleted ones.

#include "registry/confluent/subject_versions.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

std::vector<SubjectVersion> listing() {
    return {{"s", 1, 10, "sha256:a", false},
            {"s", 2, 11, "sha256:b", true},
            {"s", 3, 12, "sha256:c", false},
            {"s", 4, 13, "sha256:d", true}};
}

TEST(SubjectVersionsTest, LatestIsTheHighestLiveVersion) {
    const auto versions = listing();
    EXPECT_EQ(find_subject_version(versions, 0, false)->version, 3);
    EXPECT_EQ(find_subject_version(versions, 0, true)->version, 3);
    std::vector<SubjectVersion> all_deleted = {{"s", 1, 10, "sha256:a", true}};
    EXPECT_EQ(find_subject_version(all_deleted, 0, false), nullptr);
    EXPECT_EQ(find_subject_version(all_deleted, 0, true)->version, 1);
    EXPECT_EQ(find_subject_version({}, 0, true), nullptr);
}

TEST(SubjectVersionsTest, ASoftDeletedVersionIsFoundOnlyWhenAskedFor) {
    const auto versions = listing();
    EXPECT_EQ(find_subject_version(versions, 2, false), nullptr);
    EXPECT_EQ(find_subject_version(versions, 2, true)->schema_id, 11);
    EXPECT_EQ(find_subject_version(versions, 1, false)->schema_id, 10);
    EXPECT_EQ(find_subject_version(versions, 9, true), nullptr);
}

TEST(SubjectVersionsTest, LiveVersionsNewestFirstAndByDigest) {
    const auto versions = listing();
    const auto live = live_newest_first(versions);
    ASSERT_EQ(live.size(), 2u);
    EXPECT_EQ(live[0].version, 3);
    EXPECT_EQ(live[1].version, 1);
    EXPECT_EQ(live_version_with_digest(versions, "sha256:c")->version, 3);
    EXPECT_EQ(live_version_with_digest(versions, "sha256:b"), nullptr);  // soft-deleted
    EXPECT_EQ(live_version_with_digest(versions, "sha256:z"), nullptr);
}

}  // namespace
}  // namespace spoke
