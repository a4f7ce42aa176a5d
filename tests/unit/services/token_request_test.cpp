#include "services/auth/token_request.hpp"

#include <gtest/gtest.h>

#include <set>

#include "services/auth/token_secret.hpp"

namespace spoke {
namespace {

constexpr TimestampMs kNow = 1'800'000'000'000;

TokenRequest valid() {
    TokenRequest r;
    r.name = "ci";
    r.scopes = {"write", "read", "write"};
    r.prefixes = {"payments.", "billing", "payments."};
    return r;
}

TEST(TokenSecretTest, ShapeIdAndHash) {
    auto made = make_token_secret();
    ASSERT_TRUE(made);
    EXPECT_TRUE(looks_like_token_secret(made->secret)) << made->secret;
    EXPECT_EQ(made->secret.size(), 6u + 43u);
    EXPECT_TRUE(is_token_id(made->id)) << made->id;
    EXPECT_EQ(made->hash, token_secret_hash(made->secret));
    EXPECT_EQ(made->hash.size(), 64u);
    EXPECT_EQ(made->secret.find(made->hash), std::string::npos);
}

TEST(TokenSecretTest, SecretsDoNotRepeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto made = make_token_secret();
        ASSERT_TRUE(made);
        EXPECT_TRUE(seen.insert(made->secret).second);
        EXPECT_TRUE(seen.insert(made->id).second);
    }
}

TEST(TokenSecretTest, RecognisesOnlyTheShape) {
    const std::string good = "spoke_" + std::string(43, 'A');
    EXPECT_TRUE(looks_like_token_secret(good));
    EXPECT_FALSE(looks_like_token_secret("spoke_" + std::string(42, 'A')));
    EXPECT_FALSE(looks_like_token_secret("spoke_" + std::string(44, 'A')));
    EXPECT_FALSE(looks_like_token_secret("Spoke_" + std::string(43, 'A')));
    EXPECT_FALSE(looks_like_token_secret("spoke_" + std::string(42, 'A') + "="));
    EXPECT_FALSE(looks_like_token_secret("spoke_" + std::string(42, 'A') + "+"));
    EXPECT_FALSE(looks_like_token_secret("totally-bogus"));
}

TEST(TokenSecretTest, ConstantTimeEquality) {
    EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
    EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
    EXPECT_FALSE(equal_in_constant_time("abc", "abcd"));
    EXPECT_TRUE(equal_in_constant_time("", ""));
}

TEST(TokenRequestTest, NormalisesScopesAndPrefixes) {
    auto made = make_token(valid(), kNow);
    ASSERT_TRUE(made) << made.error().message;
    EXPECT_EQ(made->record.scopes, (std::vector<std::string>{"read", "write"}));
    EXPECT_EQ(made->record.prefixes, (std::vector<std::string>{"billing", "payments."}));
    EXPECT_EQ(made->record.created_at, kNow);
    EXPECT_EQ(made->record.secret_hash, token_secret_hash(made->secret));
    EXPECT_FALSE(made->record.revoked_at);
    EXPECT_FALSE(made->record.last_used_at);
}

TEST(TokenRequestTest, RefusesBadFieldsNamingThem) {
    struct Case {
        const char* field;
        void (*spoil)(TokenRequest&);
    };
    const Case cases[] = {
        {"\"name\"", [](TokenRequest& r) { r.name.clear(); }},
        {"\"name\"", [](TokenRequest& r) { r.name = std::string(129, 'n'); }},
        {"\"name\"", [](TokenRequest& r) { r.name = "a\nb"; }},
        {"\"scopes\"", [](TokenRequest& r) { r.scopes.clear(); }},
        {"\"scopes\"",
         [](TokenRequest& r) {
             r.scopes = {"read", "delete"};
         }},
        {"\"prefixes\"", [](TokenRequest& r) { r.prefixes = {"Payments"}; }},
        {"\"prefixes\"", [](TokenRequest& r) { r.prefixes = {""}; }},
        {"\"prefixes\"", [](TokenRequest& r) { r.prefixes.assign(33, "p"); }},
        {"\"expires_at\"", [](TokenRequest& r) { r.expires_at = kNow; }},
    };
    for (const auto& c : cases) {
        TokenRequest r = valid();
        c.spoil(r);
        auto made = make_token(std::move(r), kNow);
        ASSERT_FALSE(made) << c.field;
        EXPECT_EQ(made.error().code, ErrorCode::BadRequest);
        EXPECT_NE(made.error().message.find(c.field), std::string::npos) << made.error().message;
    }
}

TEST(TokenRequestTest, TokenIds) {
    EXPECT_TRUE(is_token_id("tok_0123456789abcdef"));
    EXPECT_FALSE(is_token_id("tok_0123456789ABCDEF"));
    EXPECT_FALSE(is_token_id("tok_0123456789abcde"));
    EXPECT_FALSE(is_token_id("tok_0123456789abcdef0"));
    EXPECT_FALSE(is_token_id("../../etc/passwd"));
}

}  // namespace
}  // namespace spoke
