#include "backends/postgres/token_sql.hpp"

#include <gtest/gtest.h>

#include <string>

namespace spoke {
namespace {

TEST(TokenSqlTest, CreateParamsCarryEveryFieldAndNullForUnsetTimes) {
    ApiToken t;
    t.id = "tok_0123456789abcdef";
    t.name = "ci";
    t.secret_hash = std::string(64, 'a');
    t.scopes = {"read", "write"};
    t.prefixes = {"acme."};
    t.created_at = 1700000000123;
    t.expires_at = 1800000000000;
    auto p = token_sql::create_token_params(t);
    ASSERT_EQ(p.size(), 9u);
    EXPECT_EQ(p[0], "tok_0123456789abcdef");
    EXPECT_EQ(p[2], std::string(64, 'a'));
    EXPECT_EQ(p[3], R"({"read","write"})");
    EXPECT_EQ(p[4], R"({"acme."})");
    EXPECT_EQ(p[5], "1800000000000");
    EXPECT_EQ(p[6], "1700000000123");
    EXPECT_EQ(p[7], std::nullopt);
    EXPECT_EQ(p[8], std::nullopt);
}

TEST(TokenSqlTest, UseParamsAreTwoParallelArrays) {
    auto p = token_sql::record_use_params({{"aa", 5}, {"bb", 1700000000123}});
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0], R"({"aa","bb"})");
    EXPECT_EQ(p[1], R"({"5","1700000000123"})");
}

}  // namespace
}  // namespace spoke
