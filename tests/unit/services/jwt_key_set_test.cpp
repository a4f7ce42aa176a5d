#include "services/auth/jwt_key_set.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "services/auth/base64url.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/services/jwt_pyjwt_fixtures.hpp"
#include "tests/unit/services/jwt_test_support.hpp"

namespace spoke {
namespace {

using spoke::testing::TempDir;
using spoke::testing::TestKeyPair;

struct Keys {
    TestKeyPair rsa = testing::make_rsa_key();
    TestKeyPair ec = testing::make_ec_p256_key();
};
const Keys& keys() {
    static const Keys k;
    return k;
}

const std::string kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes

Result<std::shared_ptr<const JwtKeySet>> parse(const std::string& text) {
    return JwtKeySet::parse(text, "keys.test");
}

void expect_error(const std::string& text, const std::string& fragment) {
    auto set = parse(text);
    ASSERT_FALSE(set.ok()) << "accepted: " << text.substr(0, 200);
    EXPECT_EQ(set.error().code, ErrorCode::BadRequest);
    EXPECT_NE(set.error().message.find(fragment), std::string::npos) << set.error().message;
    EXPECT_NE(set.error().message.find("keys.test"), std::string::npos) << set.error().message;
}

std::string jwks(const std::string& members) {
    return "{\"keys\":[{" + members + "}]}";
}

TEST(JwtBase64url, RoundTripsAndRefusesNonCanonicalText) {
    for (const std::string& s :
         std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\xff\x00\xfe", 3)}) {
        auto back = base64url_decode(base64url_encode(s));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, s);
    }
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_FALSE(base64url_decode("Zm8=").has_value());   // padding
    EXPECT_FALSE(base64url_decode("Zm+v").has_value());   // base64, not base64url
    EXPECT_FALSE(base64url_decode("Zm9vY").has_value());  // impossible length
    EXPECT_EQ(base64url_decode("Zm8"), std::optional<std::string>("fo"));
    EXPECT_FALSE(base64url_decode("Zm9").has_value());  // "fo" with non-zero trailing bits
    EXPECT_FALSE(base64url_decode("Zh").has_value());
    EXPECT_FALSE(base64url_decode("Zm 9v").has_value());
}

TEST(JwtKeySet, PemWithTwoKeys) {
    auto set = parse("comment line\n" + keys().rsa.public_pem + "\n" + keys().ec.public_pem);
    ASSERT_TRUE(set.ok()) << set.error().message;
    const auto& list = (*set)->keys();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].kind, JwtKeyKind::Rsa);
    EXPECT_EQ(list[0].algorithm, JwtAlgorithm::RS256);
    EXPECT_EQ(list[0].material, keys().rsa.public_pem);
    EXPECT_FALSE(list[0].kid.has_value());
    EXPECT_EQ(list[1].kind, JwtKeyKind::EcP256);
    EXPECT_EQ(list[1].algorithm, JwtAlgorithm::ES256);
    EXPECT_EQ(list[1].label, "PEM block 2");
}

TEST(JwtKeySet, PemRefusesPrivateKeysWeakRsaAndOtherCurves) {
    expect_error(keys().ec.public_pem + keys().rsa.private_pem, "PEM block 2 is a \"PRIVATE KEY\"");
    expect_error(testing::make_rsa_key(1024).public_pem, "1024 bits");
    const std::string p384 = testing::make_ec_key("P-384").public_pem;
    expect_error(p384, "PEM block 1: it is an EC key on a curve other than P-256");
    expect_error("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n",
                 "PEM block 1");
}

TEST(JwtKeySet, EmptyOrMissingFilesAreErrors) {
    expect_error("", "holds no \"BEGIN PUBLIC KEY\" block");
    expect_error("just text\n", "holds no");
    expect_error("{\"keys\":[]}", "empty \"keys\" array");
    auto missing = JwtKeySet::load("/nonexistent/spoke-jwt-keys.pem");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("spoke-jwt-keys.pem"), std::string::npos);
}

TEST(JwtKeySet, LoadsAFile) {
    TempDir dir;
    const std::string path = dir.sub("keys.pem");
    std::ofstream(path) << keys().ec.public_pem;
    auto set = JwtKeySet::load(path);
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ((*set)->keys().size(), 1u);
}

TEST(JwtKeySet, JwksWithRsaEcAndOct) {
    const std::string doc = "{\"keys\":[{" + testing::rsa_jwk_members(keys().rsa) +
                            ",\"kid\":\"r1\",\"alg\":\"RS256\",\"use\":\"sig\"},{" +
                            testing::ec_jwk_members(keys().ec) +
                            ",\"kid\":\"e1\"},{\"kty\":\"oct\",\"kid\":\"h1\",\"k\":\"" +
                            base64url_encode(kSecret) + "\",\"alg\":\"HS256\"}]}";
    auto set = parse("\n  " + doc);
    ASSERT_TRUE(set.ok()) << set.error().message;
    const auto& list = (*set)->keys();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].material, keys().rsa.public_pem);  // the same SubjectPublicKeyInfo
    EXPECT_EQ(list[1].material, keys().ec.public_pem);
    EXPECT_EQ(list[2].material, kSecret);
    EXPECT_EQ(list[2].kind, JwtKeyKind::HmacSecret);
    EXPECT_EQ(list[2].algorithm, JwtAlgorithm::HS256);
    ASSERT_NE((*set)->find_kid("e1"), nullptr);
    EXPECT_EQ((*set)->find_kid("e1")->algorithm, JwtAlgorithm::ES256);
    EXPECT_EQ((*set)->find_kid("nope"), nullptr);
}

TEST(JwtKeySet, PyJwtJwksMatchesItsPem) {
    auto from_jwks = parse(testing::kPyJwtJwks);
    auto from_pem = parse(testing::kPyJwtPublicKeysPem);
    ASSERT_TRUE(from_jwks.ok()) << from_jwks.error().message;
    ASSERT_TRUE(from_pem.ok()) << from_pem.error().message;
    // The JWKS lists RSA first, the PEM file EC first.
    EXPECT_EQ((*from_jwks)->keys()[0].material, (*from_pem)->keys()[1].material);
    EXPECT_EQ((*from_jwks)->keys()[1].material, (*from_pem)->keys()[0].material);
}

TEST(JwtKeySet, JwksErrorsNameTheKey) {
    const std::string rsa = testing::rsa_jwk_members(keys().rsa);
    const std::string ec = testing::ec_jwk_members(keys().ec);
    expect_error(jwks("\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"ab+c\",\"e\":\"AQAB\""),
                 "key 1 (kid \"r1\"): \"n\" is not valid unpadded base64url");
    expect_error(jwks("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\""),
                 "key 1: \"kty\" \"OKP\" is not supported");
    std::string p384 = ec;
    p384.replace(p384.find("P-256"), 5, "P-384");
    expect_error(jwks(p384), "\"crv\" is \"P-384\"");
    expect_error(jwks(ec + ",\"use\":\"enc\""), "only \"sig\" keys");
    expect_error(jwks(ec + ",\"alg\":\"RS256\""), "verifies ES256 only");
    expect_error(jwks(rsa + ",\"alg\":\"RS384\""), "\"alg\" is \"RS384\"");
    expect_error(jwks(rsa + ",\"d\":\"AQAB\""), "holds a private key");
    expect_error(jwks("\"kty\":\"oct\",\"k\":\"" + base64url_encode("short") + "\""),
                 "has 5 bytes; HS256 needs at least 32");
    expect_error(
        jwks("\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + base64url_encode(std::string(32, '\1')) +
             "\",\"y\":\"" + base64url_encode(std::string(32, '\2')) + "\""),
        "not on the P-256 curve");
    expect_error(jwks("\"kty\":\"RSA\",\"n\":\"" + base64url_encode(std::string(128, '\xC1')) +
                      "\",\"e\":\"AQAB\""),
                 "1024 bits");
    expect_error("{\"keys\":[{" + rsa + ",\"kid\":\"a\"},{" + ec + ",\"kid\":\"a\"}]}",
                 "two keys have the kid \"a\"");
    expect_error("{\"keys\":{}}", "no \"keys\" array");
    expect_error("{\"keys\":[", "not valid JSON");
    expect_error("{\"keys\":[],\"keys\":[]}", "not valid JSON");
    expect_error("{\"keys\":[7]}", "key 1 is not a JSON object");
}

}  // namespace
}  // namespace spoke
