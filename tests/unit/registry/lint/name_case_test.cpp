#include "registry/lint/name_case.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(NameCase, PascalCase) {
    for (const char* ok : {"Foo", "FooBar", "HTTPRequest", "Foo2", "V1Thing", "A"}) {
        EXPECT_TRUE(is_pascal_case(ok)) << ok;
    }
    for (const char* bad : {"foo", "fooBar", "Foo_Bar", "_Foo", "FOO_BAR", ""}) {
        EXPECT_FALSE(is_pascal_case(bad)) << bad;
    }
    EXPECT_EQ(to_pascal_case("foo_bar"), "FooBar");
    EXPECT_EQ(to_pascal_case("fooBar"), "FooBar");
    EXPECT_EQ(to_pascal_case("_foo__bar_"), "FooBar");
}

TEST(NameCase, LowerSnakeCase) {
    for (const char* ok : {"foo", "foo_bar", "foo2", "foo_2", "a_b_c", "x1_y2"}) {
        EXPECT_TRUE(is_lower_snake_case(ok)) << ok;
    }
    for (const char* bad : {"fooBar", "Foo", "foo__bar", "_foo", "foo_", "FOO", "2foo", ""}) {
        EXPECT_FALSE(is_lower_snake_case(bad)) << bad;
    }
    EXPECT_EQ(to_lower_snake_case("fooBar"), "foo_bar");
    EXPECT_EQ(to_lower_snake_case("HTTPServer"), "http_server");
    EXPECT_EQ(to_lower_snake_case("foo__Bar_"), "foo_bar");
    EXPECT_EQ(to_lower_snake_case("userID2Name"), "user_id2_name");
}

TEST(NameCase, UpperSnakeCase) {
    for (const char* ok : {"FOO", "FOO_BAR", "FOO2", "FOO_2"}) {
        EXPECT_TRUE(is_upper_snake_case(ok)) << ok;
    }
    for (const char* bad : {"Foo", "foo_bar", "FOO__BAR", "_FOO", "FOO_", "fooBar", ""}) {
        EXPECT_FALSE(is_upper_snake_case(bad)) << bad;
    }
    EXPECT_EQ(to_upper_snake_case("fooBar"), "FOO_BAR");
    EXPECT_EQ(to_upper_snake_case("HTTPMethod"), "HTTP_METHOD");
}

}  // namespace
}  // namespace spoke
