#include "registry/semver.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

Semver sv(const char* text) {
    auto v = parse_semver(text);
    EXPECT_TRUE(v.has_value()) << text;
    return v.value_or(Semver{});
}

VersionRecord rec(std::string version, TimestampMs created_at = 0) {
    VersionRecord r;
    r.version = std::move(version);
    r.created_at = created_at;
    return r;
}

TEST(Semver, ParsesParts) {
    Semver v = sv("v1.22.333-rc.1+build.5");
    EXPECT_EQ(v.major, 1u);
    EXPECT_EQ(v.minor, 22u);
    EXPECT_EQ(v.patch, 333u);
    EXPECT_EQ(v.prerelease, (std::vector<std::string>{"rc", "1"}));
    EXPECT_EQ(v.build, "build.5");
    EXPECT_TRUE(v.is_prerelease());
    EXPECT_FALSE(sv("1.0.0+meta-data").is_prerelease());
}

TEST(Semver, RejectsMalformed) {
    for (const char* t :
         {"", "v", "1.0", "1.0.0.0", "a.b.c", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+",
          "1.0.0+a..b", "1.0.0-a_b", "-1.0.0", "99999999999999999999.0.0"}) {
        EXPECT_FALSE(parse_semver(t).has_value()) << t;
    }
}

TEST(Semver, PrecedenceFollowsSpecExample) {
    // semver.org section 11.
    const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                             "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                             "1.0.0-rc.1",  "1.0.0",         "2.0.0",
                             "2.1.0",       "2.1.1"};
    const size_t n = std::size(ordered);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
            const int c = compare_precedence(sv(ordered[i]), sv(ordered[j]));
            const int expected = i < j ? -1 : (i == j ? 0 : 1);
            EXPECT_EQ((c > 0) - (c < 0), expected) << ordered[i] << " vs " << ordered[j];
        }
    }
}

TEST(Semver, BuildMetadataAndLeadingVIgnoredForPrecedence) {
    EXPECT_EQ(compare_precedence(sv("1.0.0+a"), sv("1.0.0+b")), 0);
    EXPECT_EQ(compare_precedence(sv("v1.0.0"), sv("1.0.0")), 0);
    EXPECT_LT(compare_precedence(sv("1.9.0"), sv("1.10.0")), 0);
}

TEST(Semver, VersionKeyStripsLeadingV) {
    EXPECT_EQ(version_key("v1.2.3"), "1.2.3");
    EXPECT_EQ(version_key("1.2.3"), "1.2.3");
}

TEST(Semver, SortNewestFirst) {
    std::vector<VersionRecord> v = {rec("1.0.0"), rec("2.0.0-rc.1"), rec("1.10.0"), rec("1.2.0"),
                                    rec("v2.0.0")};
    sort_newest_first(v);
    std::vector<std::string> got;
    for (const auto& r : v) got.push_back(r.version);
    EXPECT_EQ(got, (std::vector<std::string>{"v2.0.0", "2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0"}));
}

TEST(Semver, SortTiesByCreatedAtThenString) {
    std::vector<VersionRecord> v = {rec("1.0.0+a", 1), rec("1.0.0+b", 5), rec("1.0.0+c", 5)};
    sort_newest_first(v);
    EXPECT_EQ(v[0].version, "1.0.0+b");
    EXPECT_EQ(v[1].version, "1.0.0+c");
    EXPECT_EQ(v[2].version, "1.0.0+a");
}

TEST(Semver, LatestSkipsPrereleases) {
    std::vector<VersionRecord> v = {rec("1.0.0"), rec("3.0.0-rc.1"), rec("1.2.0"), rec("0.9.0")};
    auto i = select_latest(v);
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(v[*i].version, "1.2.0");
}

TEST(Semver, LatestFallsBackToHighestPrerelease) {
    std::vector<VersionRecord> v = {rec("1.0.0-alpha"), rec("1.0.0-rc.1"), rec("1.0.0-beta.11")};
    auto i = select_latest(v);
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(v[*i].version, "1.0.0-rc.1");
}

TEST(Semver, LatestOfEmptyIsNothing) {
    EXPECT_FALSE(select_latest({}).has_value());
}

}  // namespace
}  // namespace spoke
