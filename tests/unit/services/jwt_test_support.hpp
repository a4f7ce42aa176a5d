#pragma once
// Keys and tokens for the JWT tests: fresh RSA and EC P-256 key pairs from OpenSSL, their JWKs,
// and tokens signed either by libjwt's own encoder or by hand (for headers libjwt never writes).

#include <string>
#include <string_view>

namespace spoke::testing {

struct TestKeyPair {
    std::string private_pem;
    std::string public_pem;
};

TestKeyPair make_rsa_key(int bits = 2048);
TestKeyPair make_ec_p256_key();
// `curve` as OpenSSL names it ("P-384", ...).
TestKeyPair make_ec_key(const char* curve);

// JWK members for the public half ("kty", "n"/"e" or "crv"/"x"/"y"), without braces, so a test
// can add "kid", "alg" or "use".
std::string rsa_jwk_members(const TestKeyPair& key);
std::string ec_jwk_members(const TestKeyPair& key);

// "header.payload.signature" over the JSON texts given, signed with `alg` ("RS256", "ES256"
// with a private PEM; "HS256" with a raw secret; "none": empty signature). ES256 signatures
// are JOSE's R || S.
std::string sign_by_hand(std::string_view header_json, std::string_view claims_json,
                         std::string_view alg, std::string_view key);

// The same through libjwt's jwt_encode_str (which writes {"alg":...,"typ":"JWT"} and a kid
// header when `kid` is non-empty).
std::string sign_with_libjwt(std::string_view claims_json, std::string_view alg,
                             std::string_view key, std::string_view kid = {});

}  // namespace spoke::testing
