#include "registry/auth/access_policy.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

Principal token(std::optional<Scope> scope, std::vector<std::string> prefixes = {}) {
    Principal p;
    p.kind = Principal::Kind::ApiToken;
    p.id = "tok_0123456789abcdef";
    p.name = "ci";
    p.scope = scope;
    p.prefixes = std::move(prefixes);
    return p;
}

constexpr RouteAccess kRead{Scope::Read, ModuleFrom::PathName};
constexpr RouteAccess kList{Scope::Read, ModuleFrom::None};
constexpr RouteAccess kWrite{Scope::Write, ModuleFrom::PathName};
constexpr RouteAccess kCreate{Scope::Write, ModuleFrom::BodyName};
constexpr RouteAccess kConfig{Scope::Admin, ModuleFrom::PathName};
constexpr RouteAccess kTokens{Scope::Admin, ModuleFrom::AllModules};

ErrorCode code_of(const Status& s) {
    return s ? ErrorCode::Internal : s.error().code;
}

TEST(AccessPolicyTest, AnonymousReadsFollowTheSetting) {
    const Principal anon;
    EXPECT_TRUE(decide_access(anon, kRead, "acme", true));
    EXPECT_TRUE(decide_access(anon, kList, "", true));
    EXPECT_EQ(code_of(decide_access(anon, kRead, "acme", false)), ErrorCode::Unauthorized);
    EXPECT_EQ(code_of(decide_access(anon, kList, "", false)), ErrorCode::Unauthorized);
}

TEST(AccessPolicyTest, AnonymousNeverWrites) {
    const Principal anon;
    for (bool anonymous_read : {true, false}) {
        for (const auto& access : {kWrite, kCreate, kConfig, kTokens}) {
            Status s = decide_access(anon, access, "acme", anonymous_read);
            ASSERT_FALSE(s);
            EXPECT_EQ(s.error().code, ErrorCode::Unauthorized);
            EXPECT_NE(s.error().message.find("Bearer"), std::string::npos);
        }
    }
}

TEST(AccessPolicyTest, ScopesNest) {
    EXPECT_TRUE(decide_access(token(Scope::Read), kRead, "acme", false));
    EXPECT_EQ(code_of(decide_access(token(Scope::Read), kWrite, "acme", true)),
              ErrorCode::Forbidden);
    EXPECT_TRUE(decide_access(token(Scope::Write), kWrite, "acme", false));
    EXPECT_TRUE(decide_access(token(Scope::Write), kRead, "acme", false));
    EXPECT_EQ(code_of(decide_access(token(Scope::Write), kConfig, "acme", true)),
              ErrorCode::Forbidden);
    for (const auto& access : {kRead, kList, kWrite, kCreate, kConfig, kTokens}) {
        EXPECT_TRUE(decide_access(token(Scope::Admin), access, "acme", false));
    }
}

TEST(AccessPolicyTest, ForbiddenNamesTheMissingScope) {
    Status s = decide_access(token(Scope::Read), kCreate, "acme", true);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("write scope"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("\"ci\""), std::string::npos) << s.error().message;
}

TEST(AccessPolicyTest, TokenWithoutKnownScopeGetsNothingButAnonymousReads) {
    EXPECT_EQ(code_of(decide_access(token(std::nullopt), kRead, "acme", false)),
              ErrorCode::Forbidden);
    EXPECT_TRUE(decide_access(token(std::nullopt), kRead, "acme", true));
    EXPECT_EQ(code_of(decide_access(token(std::nullopt), kWrite, "acme", true)),
              ErrorCode::Forbidden);
}

TEST(AccessPolicyTest, PrefixesLimitWrites) {
    const Principal limited = token(Scope::Write, {"payments.", "billing"});
    EXPECT_TRUE(decide_access(limited, kWrite, "payments.api", false));
    EXPECT_TRUE(decide_access(limited, kCreate, "billing-core", false));
    Status outside = decide_access(limited, kWrite, "orders", true);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, ErrorCode::Forbidden);
    EXPECT_NE(outside.error().message.find("\"payments.\""), std::string::npos);
    EXPECT_NE(outside.error().message.find("\"orders\""), std::string::npos);
    // "payments" is not under "payments.": prefixes are plain string prefixes.
    EXPECT_FALSE(decide_access(limited, kWrite, "payments", false));
}

TEST(AccessPolicyTest, PrefixesLimitReadsOnlyWhenAnonymousCouldNotRead) {
    const Principal limited = token(Scope::Read, {"payments."});
    EXPECT_TRUE(decide_access(limited, kRead, "orders", true));
    EXPECT_EQ(code_of(decide_access(limited, kRead, "orders", false)), ErrorCode::Forbidden);
    EXPECT_TRUE(decide_access(limited, kRead, "payments.api", false));
    EXPECT_TRUE(decide_access(limited, kList, "", false));
}

TEST(AccessPolicyTest, TokenManagementNeedsAnUnlimitedAdmin) {
    EXPECT_TRUE(decide_access(token(Scope::Admin), kTokens, "", false));
    Status s = decide_access(token(Scope::Admin, {"payments."}), kTokens, "", true);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::Forbidden);
    // A prefix-limited admin still administers its own modules.
    EXPECT_TRUE(decide_access(token(Scope::Admin, {"payments."}), kConfig, "payments.api", false));
    EXPECT_FALSE(decide_access(token(Scope::Admin, {"payments."}), kConfig, "orders", true));
}

TEST(AccessPolicyTest, UnreadableBodyModuleIsLeftToTheHandler) {
    EXPECT_TRUE(decide_access(token(Scope::Write, {"payments."}), kCreate, "", false));
}

TEST(AccessPolicyTest, ScopeNames) {
    EXPECT_EQ(parse_scope("read"), Scope::Read);
    EXPECT_EQ(parse_scope("admin"), Scope::Admin);
    EXPECT_EQ(parse_scope("Admin"), std::nullopt);
    EXPECT_EQ(parse_scope("delete"), std::nullopt);
    EXPECT_EQ(highest_scope({"read", "bogus", "write"}), Scope::Write);
    EXPECT_EQ(highest_scope({"bogus"}), std::nullopt);
    EXPECT_EQ(scope_name(Scope::Write), "write");
}

TEST(AccessPolicyTest, ModulePrefixes) {
    EXPECT_EQ(module_prefix_problem("payments."), std::nullopt);
    EXPECT_EQ(module_prefix_problem("a"), std::nullopt);
    EXPECT_NE(module_prefix_problem(""), std::nullopt);
    EXPECT_NE(module_prefix_problem("Payments"), std::nullopt);
    EXPECT_NE(module_prefix_problem("1abc"), std::nullopt);
    EXPECT_NE(module_prefix_problem("a/b"), std::nullopt);
    EXPECT_NE(module_prefix_problem(std::string(129, 'a')), std::nullopt);
}

}  // namespace
}  // namespace spoke
