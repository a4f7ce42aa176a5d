#include "services/auth/jwt_verifier.hpp"

#include <gtest/gtest.h>
#include <jwt.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "services/auth/base64url.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/services/jwt_pyjwt_fixtures.hpp"
#include "tests/unit/services/jwt_test_support.hpp"

namespace spoke {
namespace {

using spoke::testing::sign_by_hand;
using spoke::testing::sign_with_libjwt;
using spoke::testing::TempDir;
using spoke::testing::TestKeyPair;

struct Keys {
    TestKeyPair rsa = testing::make_rsa_key();
    TestKeyPair rsa2 = testing::make_rsa_key();
    TestKeyPair ec = testing::make_ec_p256_key();
};
const Keys& keys() {
    static const Keys k;
    return k;
}

const std::string kSecret = "an HS256 secret of well over thirty-two bytes";
constexpr TimestampMs kNow = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr int64_t kNowSeconds = kNow / 1000;

std::string jwks_rsa_ec_oct() {
    return "{\"keys\":[{" + testing::rsa_jwk_members(keys().rsa) + ",\"kid\":\"r1\"},{" +
           testing::ec_jwk_members(keys().ec) + ",\"kid\":\"e1\",\"alg\":\"ES256\"}," +
           "{\"kty\":\"oct\",\"kid\":\"h1\",\"k\":\"" + base64url_encode(kSecret) + "\"}]}";
}

// {"sub":"alice","exp":now+1h, ...extra}
std::string claims(const std::string& extra = "") {
    std::string text = "{\"sub\":\"alice\",\"exp\":" + std::to_string(kNowSeconds + 3600);
    if (!extra.empty()) text += "," + extra;
    return text + "}";
}

std::string header(const std::string& alg, const std::string& extra = "") {
    std::string text = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"";
    if (!extra.empty()) text += "," + extra;
    return text + "}";
}

class JwtVerifierTest : public ::testing::Test {
  protected:
    std::string write(const std::string& name, const std::string& text) {
        const std::string path = dir_.sub(name);
        std::ofstream(path, std::ios::trunc) << text;
        return path;
    }

    std::unique_ptr<JwtVerifier> make(const std::string& key_text, JwtSettings settings = {}) {
        settings.keys_file = write("keys", key_text);
        auto v = JwtVerifier::create(std::move(settings));
        EXPECT_TRUE(v.ok()) << v.error().message;
        return v.ok() ? std::move(v).value() : nullptr;
    }

    std::unique_ptr<JwtVerifier> jwks_verifier(JwtSettings settings = {}) {
        return make(jwks_rsa_ec_oct(), std::move(settings));
    }

    // Refused as unauthorized, for `reason`, in words that quote no part of the token.
    static void expect_refused(const Result<JwtClaims>& r, const std::string& reason,
                               const std::string& token) {
        ASSERT_FALSE(r.ok()) << "accepted; wanted: " << reason;
        EXPECT_EQ(r.error().code, ErrorCode::Unauthorized);
        EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
        size_t start = 0;
        while (start <= token.size()) {
            size_t end = std::min(token.find('.', start), token.size());
            std::string part = token.substr(start, end - start);
            if (part.size() >= 6) {
                EXPECT_EQ(r.error().message.find(part), std::string::npos) << r.error().message;
            }
            start = end + 1;
        }
    }

    TempDir dir_;
};

std::string flip_signature_byte(const std::string& token) {
    size_t dot = token.rfind('.');
    std::string sig = *base64url_decode(token.substr(dot + 1));
    sig[sig.size() / 2] ^= 0x01;
    return token.substr(0, dot + 1) + base64url_encode(sig);
}

TEST_F(JwtVerifierTest, ValidRs256Es256Hs256FromLibjwt) {
    JwtSettings settings;
    settings.issuer = "https://idp.example";
    auto v = jwks_verifier(settings);
    const std::string body = claims("\"iss\":\"https://idp.example\"");
    for (auto [alg, key, kid] :
         {std::tuple{"RS256", keys().rsa.private_pem, "r1"},
          std::tuple{"ES256", keys().ec.private_pem, "e1"}, std::tuple{"HS256", kSecret, "h1"}}) {
        auto r = v->verify(sign_with_libjwt(body, alg, key, kid), kNow);
        ASSERT_TRUE(r.ok()) << alg << ": " << r.error().message;
        EXPECT_EQ(r->subject, "alice");
        EXPECT_EQ(r->issuer, "https://idp.example");
        EXPECT_EQ(r->expires_at, std::optional<TimestampMs>((kNowSeconds + 3600) * 1000));
        EXPECT_TRUE(r->scopes.empty());
        // Without a kid, the keys of the header's algorithm are tried.
        auto no_kid = v->verify(sign_with_libjwt(body, alg, key), kNow);
        EXPECT_TRUE(no_kid.ok()) << alg << ": " << no_kid.error().message;
    }
}

TEST_F(JwtVerifierTest, HandSignedTokensVerifyToo) {
    auto v = jwks_verifier();
    EXPECT_TRUE(
        v->verify(sign_by_hand(header("RS256"), claims(), "RS256", keys().rsa.private_pem), kNow)
            .ok());
    // JOSE R || S made from OpenSSL's DER: what libjwt 1.10.2 expects on input.
    EXPECT_TRUE(
        v->verify(sign_by_hand(header("ES256"), claims(), "ES256", keys().ec.private_pem), kNow)
            .ok());
    EXPECT_TRUE(v->verify(sign_by_hand("{\"alg\":\"HS256\"}", claims(), "HS256", kSecret), kNow)
                    .ok());  // typ is optional
}

TEST_F(JwtVerifierTest, PyJwtTokensVerify) {
    JwtSettings settings;
    settings.issuer = "https://idp.example";
    settings.audience = "spoke";
    for (const char* key_text : {testing::kPyJwtPublicKeysPem, testing::kPyJwtJwks}) {
        auto v = make(key_text, settings);
        for (const char* token : {testing::kPyJwtEs256Token, testing::kPyJwtRs256Token}) {
            auto r = v->verify(token, kNow);
            ASSERT_TRUE(r.ok()) << r.error().message;
            EXPECT_EQ(r->subject, "pyjwt-user");
            EXPECT_EQ(r->scopes, (std::vector<std::string>{"read", "write"}));
            expect_refused(v->verify(flip_signature_byte(token), kNow), "does not verify", token);
        }
    }
}

TEST_F(JwtVerifierTest, ExpiryRespectsTheSkewBothWays) {
    auto v = jwks_verifier();  // skew 30 s
    auto token_expiring = [&](int64_t offset) {
        return sign_with_libjwt(
            "{\"sub\":\"a\",\"exp\":" + std::to_string(kNowSeconds + offset) + "}", "HS256",
            kSecret, "h1");
    };
    EXPECT_TRUE(v->verify(token_expiring(-29), kNow).ok());
    const std::string old = token_expiring(-31);
    expect_refused(v->verify(old, kNow), "the bearer token expired at 2027-01-15T07:59:29.000Z",
                   old);
    JwtSettings strict;
    strict.clock_skew = std::chrono::seconds(0);
    auto no_skew = jwks_verifier(strict);
    EXPECT_FALSE(no_skew->verify(token_expiring(0), kNow).ok());
    EXPECT_TRUE(no_skew->verify(token_expiring(1), kNow).ok());
}

TEST_F(JwtVerifierTest, NotBeforeAndIssuedAtRespectTheSkew) {
    auto v = jwks_verifier();
    auto with = [&](const std::string& claim, int64_t offset) {
        return sign_with_libjwt(claims("\"" + claim + "\":" + std::to_string(kNowSeconds + offset)),
                                "HS256", kSecret, "h1");
    };
    EXPECT_TRUE(v->verify(with("nbf", 29), kNow).ok());
    EXPECT_TRUE(v->verify(with("nbf", -100), kNow).ok());
    expect_refused(v->verify(with("nbf", 31), kNow), "not valid before 2027-01-15T08:00:31.000Z",
                   with("nbf", 31));
    EXPECT_TRUE(v->verify(with("iat", 29), kNow).ok());
    expect_refused(v->verify(with("iat", 31), kNow), "issued in the future", with("iat", 31));
    expect_refused(v->verify(sign_with_libjwt(claims("\"nbf\":\"soon\""), "HS256", kSecret), kNow),
                   "nbf is not a valid time", "");
}

TEST_F(JwtVerifierTest, IssuerAndAudience) {
    JwtSettings settings;
    settings.issuer = "https://idp.example";
    settings.audience = "spoke";
    auto v = jwks_verifier(settings);
    auto token = [&](const std::string& extra) {
        return sign_with_libjwt(claims(extra), "RS256", keys().rsa.private_pem, "r1");
    };
    const std::string iss = "\"iss\":\"https://idp.example\"";
    EXPECT_TRUE(v->verify(token(iss + ",\"aud\":\"spoke\""), kNow).ok());
    EXPECT_TRUE(v->verify(token(iss + ",\"aud\":[\"other\",\"spoke\"]"), kNow).ok());
    const std::string wrong_iss = token("\"iss\":\"https://evil.example\",\"aud\":\"spoke\"");
    expect_refused(v->verify(wrong_iss, kNow), "issuer is not \"https://idp.example\"", wrong_iss);
    expect_refused(v->verify(token("\"aud\":\"spoke\""), kNow), "issuer is not", "");
    const std::string wrong_aud = token(iss + ",\"aud\":\"other\"");
    expect_refused(v->verify(wrong_aud, kNow), "audience is not \"spoke\"", wrong_aud);
    expect_refused(v->verify(token(iss + ",\"aud\":[\"other\",\"spoke-x\"]"), kNow),
                   "audience is not \"spoke\"", "");
    expect_refused(v->verify(token(iss), kNow), "audience is not", "");
}

TEST_F(JwtVerifierTest, AFlippedByteBreaksTheSignature) {
    auto v = jwks_verifier();
    for (auto [alg, key] :
         {std::pair{"RS256", keys().rsa.private_pem}, std::pair{"ES256", keys().ec.private_pem},
          std::pair{"HS256", kSecret}}) {
        const std::string good = sign_with_libjwt(claims(), alg, key);
        ASSERT_TRUE(v->verify(good, kNow).ok()) << alg;
        const std::string bad = flip_signature_byte(good);
        expect_refused(v->verify(bad, kNow), "the bearer token's signature does not verify", bad);
        // A changed payload ("alice" -> "alicf") with the original signature.
        size_t dot1 = good.find('.'), dot2 = good.rfind('.');
        std::string payload = *base64url_decode(good.substr(dot1 + 1, dot2 - dot1 - 1));
        payload.replace(payload.find("alice"), 5, "alicf");
        const std::string forged =
            good.substr(0, dot1 + 1) + base64url_encode(payload) + good.substr(dot2);
        expect_refused(v->verify(forged, kNow), "signature does not verify", forged);
    }
    // An ES256 signature in DER rather than R || S.
    const std::string es = sign_with_libjwt(claims(), "ES256", keys().ec.private_pem);
    const std::string longer = es + base64url_encode("\x30\x44");
    EXPECT_FALSE(v->verify(longer, kNow).ok());
}

TEST_F(JwtVerifierTest, AlgNoneIsNeverAccepted) {
    auto v = jwks_verifier();
    const std::string body = base64url_encode(claims());
    for (const char* alg : {"none", "None", "NONE"}) {
        const std::string head = base64url_encode("{\"alg\":\"" + std::string(alg) + "\"}");
        const std::string unsigned_token = head + "." + body + ".";
        expect_refused(v->verify(unsigned_token, kNow),
                       "the bearer token's algorithm none is not accepted", unsigned_token);
        const std::string with_sig = head + "." + body + "." + base64url_encode("signature");
        expect_refused(v->verify(with_sig, kNow), "algorithm none is not accepted", with_sig);
    }
    for (const char* alg : {"HS512", "RS384", "PS256", "EdDSA", "hs256"}) {
        const std::string t = sign_by_hand(header(alg), claims(), "HS256", kSecret);
        expect_refused(v->verify(t, kNow), "algorithm is not RS256, ES256 or HS256", t);
    }
    expect_refused(v->verify(sign_by_hand("{\"typ\":\"JWT\"}", claims(), "HS256", kSecret), kNow),
                   "header has no alg", "");
    expect_refused(
        v->verify(sign_by_hand("{\"alg\":\"HS256\",\"alg\":\"none\"}", claims(), "HS256", kSecret),
                  kNow),
        "header is not a JSON object", "");
}

TEST_F(JwtVerifierTest, AlgorithmConfusionIsRefused) {
    // Only an RSA key is configured; the attacker HMACs with its public PEM bytes.
    auto pem_only = make(keys().rsa.public_pem);
    const std::string no_kid =
        sign_by_hand(header("HS256"), claims(), "HS256", keys().rsa.public_pem);
    expect_refused(pem_only->verify(no_kid, kNow), "no configured key verifies HS256", no_kid);
    const std::string with_kid = sign_by_hand(header("HS256", "\"kid\":\"whatever\""), claims(),
                                              "HS256", keys().rsa.public_pem);
    expect_refused(pem_only->verify(with_kid, kNow), "kid names no configured key", with_kid);
    // The same against a JWKS, naming the RSA key (whose PEM libjwt would get) by its kid.
    auto v = jwks_verifier();
    const std::string named = sign_by_hand(header("HS256", "\"kid\":\"r1\""), claims(), "HS256",
                                           v->key_set()->find_kid("r1")->material);
    expect_refused(v->verify(named, kNow), "kid names a RS256 key, not HS256", named);

    // What the check stands in front of: libjwt 1.10.2 alone accepts the forgery.
    jwt_t* raw = nullptr;
    const std::string& pem = keys().rsa.public_pem;
    EXPECT_EQ(jwt_decode(&raw, no_kid.c_str(), reinterpret_cast<const unsigned char*>(pem.data()),
                         static_cast<int>(pem.size())),
              0);
    jwt_free(raw);
}

TEST_F(JwtVerifierTest, KidSelection) {
    auto v = jwks_verifier();
    const std::string unknown = sign_with_libjwt(claims(), "RS256", keys().rsa.private_pem, "zz");
    expect_refused(v->verify(unknown, kNow), "kid names no configured key", unknown);
    const std::string other_alg = sign_with_libjwt(claims(), "RS256", keys().rsa.private_pem, "e1");
    expect_refused(v->verify(other_alg, kNow), "kid names a ES256 key, not RS256", other_alg);
    // Keys from PEM have no kid: they verify tokens whatever kid an identity provider sends.
    auto pem = make(keys().rsa2.public_pem + keys().rsa.public_pem);
    EXPECT_TRUE(pem->verify(unknown, kNow).ok());
    EXPECT_TRUE(
        pem->verify(sign_with_libjwt(claims(), "RS256", keys().rsa2.private_pem), kNow).ok());
    const std::string es = sign_with_libjwt(claims(), "ES256", keys().ec.private_pem);
    expect_refused(pem->verify(es, kNow), "no configured key verifies ES256", es);
}

TEST_F(JwtVerifierTest, HeaderRules) {
    auto v = jwks_verifier();
    const std::string crit =
        sign_by_hand(header("HS256", "\"crit\":[\"exp\"],\"exp\":1"), claims(), "HS256", kSecret);
    expect_refused(v->verify(crit, kNow), "crit header", crit);
    const std::string at_jwt =
        sign_by_hand("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", claims(), "HS256", kSecret);
    expect_refused(v->verify(at_jwt, kNow), "typ is not JWT", at_jwt);
    const std::string kid_number =
        sign_by_hand(header("HS256", "\"kid\":7"), claims(), "HS256", kSecret);
    expect_refused(v->verify(kid_number, kNow), "kid is not a string", kid_number);
}

TEST_F(JwtVerifierTest, RequiredClaims) {
    auto v = jwks_verifier();
    auto hs = [&](const std::string& body) { return sign_with_libjwt(body, "HS256", kSecret); };
    expect_refused(v->verify(hs("{\"sub\":\"a\"}"), kNow), "has no exp", "");
    expect_refused(v->verify(hs("{\"sub\":\"a\",\"exp\":\"tomorrow\"}"), kNow),
                   "exp is not a valid time", "");
    expect_refused(v->verify(hs("{\"sub\":\"a\",\"exp\":-5}"), kNow), "exp is not a valid time",
                   "");
    expect_refused(v->verify(hs("{\"exp\":" + std::to_string(kNowSeconds + 60) + "}"), kNow),
                   "has no sub", "");
    expect_refused(
        v->verify(hs("{\"sub\":\"\",\"exp\":" + std::to_string(kNowSeconds + 60) + "}"), kNow),
        "has no sub", "");
    // A fractional NumericDate is allowed.
    auto r =
        v->verify(hs("{\"sub\":\"a\",\"exp\":" + std::to_string(kNowSeconds + 60) + ".5}"), kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->expires_at, std::optional<TimestampMs>(kNow + 60'500));
}

TEST_F(JwtVerifierTest, GarbageTruncatedAndOversizedTokens) {
    auto v = jwks_verifier();
    const std::string good = sign_with_libjwt(claims(), "ES256", keys().ec.private_pem, "e1");
    expect_refused(v->verify("", kNow), "empty", "");
    for (const std::string& bad :
         {std::string("garbage"), std::string("a.b"), std::string("a.b.c.d"), std::string(".."),
          std::string("e30.e30.e30"), good.substr(0, good.size() - 10),
          good.substr(0, good.rfind('.')), good.substr(0, good.rfind('.') + 1), "Bearer " + good,
          good + "=", std::string("\xff\xfe.\x01.\x02"),
          good.substr(0, 10) + std::string(1, '\0') + good.substr(11)}) {
        auto r = v->verify(bad, kNow);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::Unauthorized);
        expect_refused(r, "the bearer token", good);
    }
    std::string huge = good;
    huge.insert(good.find('.') + 1, 9000, 'A');
    expect_refused(v->verify(huge, kNow), "longer than 8192 bytes", huge);
}

TEST_F(JwtVerifierTest, ScopesAndPrefixes) {
    auto v = jwks_verifier();
    auto verify = [&](const std::string& extra) {
        auto r = v->verify(sign_with_libjwt(claims(extra), "HS256", kSecret), kNow);
        EXPECT_TRUE(r.ok()) << extra << ": " << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : JwtClaims{};
    };
    EXPECT_EQ(verify("\"scope\":\"openid write  read profile\"").scopes,
              (std::vector<std::string>{"read", "write"}));
    EXPECT_EQ(verify("\"scope\":[\"admin\",\"read\",\"admin\",\"email\"]").scopes,
              (std::vector<std::string>{"admin", "read"}));
    EXPECT_TRUE(verify("\"scope\":\"READ Write\"").scopes.empty());
    EXPECT_EQ(verify("\"spoke_prefixes\":\"acme/ team/b acme/\"").prefixes,
              (std::vector<std::string>{"acme/", "team/b"}));
    EXPECT_EQ(verify("\"spoke_prefixes\":[\"team/a\",\"\",\"team/c\"]").prefixes,
              (std::vector<std::string>{"team/a", "team/c"}));
    expect_refused(v->verify(sign_with_libjwt(claims("\"scope\":7"), "HS256", kSecret), kNow),
                   "scope claim is neither a string nor an array of strings", "");
    expect_refused(
        v->verify(sign_with_libjwt(claims("\"spoke_prefixes\":[\"a\",1]"), "HS256", kSecret), kNow),
        "spoke_prefixes claim is neither", "");

    JwtSettings custom;
    custom.scope_claim = "scp";
    custom.prefix_claim = "modules";
    auto c = jwks_verifier(custom);
    auto r = c->verify(sign_with_libjwt(claims("\"scope\":\"admin\",\"scp\":[\"write\"],"
                                               "\"modules\":[\"x/\"]"),
                                        "HS256", kSecret),
                       kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->scopes, (std::vector<std::string>{"write"}));
    EXPECT_EQ(r->prefixes, (std::vector<std::string>{"x/"}));
}

TEST_F(JwtVerifierTest, ReloadSwapsKeysAndAFailedReloadKeepsThem) {
    auto v = make(keys().rsa.public_pem);
    const std::string by_first = sign_with_libjwt(claims(), "RS256", keys().rsa.private_pem);
    const std::string by_second = sign_with_libjwt(claims(), "RS256", keys().rsa2.private_pem);
    EXPECT_TRUE(v->verify(by_first, kNow).ok());
    EXPECT_FALSE(v->verify(by_second, kNow).ok());

    write("keys", keys().rsa2.public_pem);
    auto before = v->key_set();
    ASSERT_TRUE(v->reload().ok());
    EXPECT_NE(v->key_set(), before);
    EXPECT_FALSE(v->verify(by_first, kNow).ok());
    EXPECT_TRUE(v->verify(by_second, kNow).ok());

    write("keys", "{\"keys\":[{\"kty\":\"OKP\"}]}");
    auto failed = v->reload();
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("OKP"), std::string::npos);
    EXPECT_TRUE(v->verify(by_second, kNow).ok());
    std::remove(v->settings().keys_file.c_str());
    EXPECT_FALSE(v->reload().ok());
    EXPECT_TRUE(v->verify(by_second, kNow).ok());
}

TEST_F(JwtVerifierTest, ReloadWhileOtherThreadsVerify) {
    auto v = make(keys().ec.public_pem + keys().rsa.public_pem);
    const std::string token = sign_with_libjwt(claims(), "ES256", keys().ec.private_pem);
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
        threads.emplace_back([&] {
            while (!stop) {
                if (!v->verify(token, kNow).ok()) ++failures;
            }
        });
    }
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(v->reload().ok());
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);
}

TEST_F(JwtVerifierTest, CreateRefusesBadSettings) {
    JwtSettings none;
    EXPECT_FALSE(JwtVerifier::create(none).ok());
    JwtSettings missing;
    missing.keys_file = dir_.sub("absent.pem");
    auto r = JwtVerifier::create(missing);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("absent.pem"), std::string::npos);
    JwtSettings negative;
    negative.keys_file = write("k.pem", keys().ec.public_pem);
    negative.clock_skew = std::chrono::seconds(-1);
    EXPECT_FALSE(JwtVerifier::create(negative).ok());
    negative.clock_skew = std::chrono::seconds(5);
    negative.scope_claim.clear();
    EXPECT_FALSE(JwtVerifier::create(negative).ok());
}

}  // namespace
}  // namespace spoke
