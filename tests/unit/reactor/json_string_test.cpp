// append_json_string: the one JSON string writer of log lines, audit lines and spans.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "reactor/log.hpp"

namespace spoke {
namespace {

std::string quoted(std::string_view s) {
    std::string out = "x=";
    append_json_string(out, s);
    return out;
}

TEST(AppendJsonString, PlainTextIsCopiedBetweenQuotes) {
    EXPECT_EQ(quoted(""), "x=\"\"");
    EXPECT_EQ(quoted("GET /modules/{name}"), "x=\"GET /modules/{name}\"");
    EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x9c\x93"), "x=\"caf\xc3\xa9 \xe2\x9c\x93\"");  // UTF-8 as is
}

TEST(AppendJsonString, EscapesWhereverTheyFall) {
    EXPECT_EQ(quoted("\"quoted\""), "x=\"\\\"quoted\\\"\"");
    EXPECT_EQ(quoted("a\\b\nc\rd\te"), "x=\"a\\\\b\\nc\\rd\\te\"");
    EXPECT_EQ(quoted(std::string_view("\x01mid\x1f", 5)), "x=\"\\u0001mid\\u001f\"");
    EXPECT_EQ(quoted(std::string_view("nul\0end", 7)), "x=\"nul\\u0000end\"");
    EXPECT_EQ(quoted("\n\n"), "x=\"\\n\\n\"");
    EXPECT_EQ(quoted("\x7f~"), "x=\"\x7f~\"");  // DEL needs no escape in JSON
}

}  // namespace
}  // namespace spoke
