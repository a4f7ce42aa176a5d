#include "reactor/router.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

Router make_router() {
    Router r;
    RouteHandler noop = [](HttpExchange&, const RouteParams&) {};
    r.add(HttpMethod::Get, "/modules", noop);
    r.add(HttpMethod::Post, "/modules", noop);
    r.add(HttpMethod::Get, "/modules/{name}", noop);
    r.add(HttpMethod::Get, "/modules/{name}/versions/{version}/files/{path...}", noop);
    return r;
}

TEST(RouterTest, MatchesLiteralAndParams) {
    Router r = make_router();
    auto m = r.match(HttpMethod::Get, "/modules/acme");
    ASSERT_NE(m.handler, nullptr);
    EXPECT_EQ(m.route, "GET /modules/{name}");
    EXPECT_EQ(m.params.get("name"), "acme");
}

TEST(RouterTest, HeadIsServedByGet) {
    Router r = make_router();
    EXPECT_NE(r.match(HttpMethod::Head, "/modules").handler, nullptr);
}

TEST(RouterTest, TailParamJoinsDecodedSegments) {
    Router r = make_router();
    auto m = r.match(HttpMethod::Get, "/modules/a/versions/1.0.0/files/dir/sub%20x/b.proto");
    ASSERT_NE(m.handler, nullptr);
    EXPECT_EQ(m.params.get("path"), "dir/sub x/b.proto");
    EXPECT_EQ(m.params.get("version"), "1.0.0");
}

TEST(RouterTest, TailParamNeedsAtLeastOneSegment) {
    Router r = make_router();
    EXPECT_EQ(r.match(HttpMethod::Get, "/modules/a/versions/1.0.0/files").handler, nullptr);
}

TEST(RouterTest, WrongMethodReportsAllow) {
    Router r = make_router();
    auto m = r.match(HttpMethod::Delete, "/modules");
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_EQ(m.allow, "GET, POST");
}

TEST(RouterTest, UnknownPathHasNoAllow) {
    Router r = make_router();
    auto m = r.match(HttpMethod::Get, "/nope");
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_TRUE(m.allow.empty());
}

TEST(RouterTest, EmptySegmentDoesNotMatchParam) {
    Router r = make_router();
    EXPECT_EQ(r.match(HttpMethod::Get, "/modules/").handler, nullptr);
}

TEST(RouterTest, BadPercentEncodingIsFlagged) {
    Router r = make_router();
    EXPECT_TRUE(r.match(HttpMethod::Get, "/modules/a%zz").bad_encoding);
    EXPECT_TRUE(r.match(HttpMethod::Get, "/modules/a%00b").bad_encoding);
    EXPECT_TRUE(r.match(HttpMethod::Get, "/modules/a%4").bad_encoding);
}

TEST(PercentDecodeTest, DecodesAndRejects) {
    EXPECT_EQ(percent_decode("a%2Fb"), std::optional<std::string>("a/b"));
    EXPECT_EQ(percent_decode("%2e%2E"), std::optional<std::string>(".."));
    EXPECT_EQ(percent_decode("%"), std::nullopt);
    EXPECT_EQ(percent_decode("%g0"), std::nullopt);
}

TEST(RouterTest, RouteNamesInRegistrationOrder) {
    Router r = make_router();
    auto names = r.route_names();
    ASSERT_EQ(names.size(), 4u);
    EXPECT_EQ(names[0], "GET /modules");
    EXPECT_EQ(names[3], "GET /modules/{name}/versions/{version}/files/{path...}");
}

}  // namespace
}  // namespace spoke
