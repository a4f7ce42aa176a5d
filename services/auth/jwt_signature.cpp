#include "services/auth/jwt_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "services/auth/jwt_handles.hpp"

namespace spoke {
namespace {

constexpr size_t kEs256SignatureBytes = 64;  // JOSE's R || S, 32 bytes each

jwt_alg_t libjwt_algorithm(JwtAlgorithm algorithm) {
    switch (algorithm) {
        case JwtAlgorithm::RS256:
            return JWT_ALG_RS256;
        case JwtAlgorithm::ES256:
            return JWT_ALG_ES256;
        case JwtAlgorithm::HS256:
            return JWT_ALG_HS256;
    }
    return JWT_ALG_INVAL;
}

// libjwt 1.10.2 compares HMACs with strcmp, which leaks how much of a forged signature is
// right; this constant-time check runs first, so libjwt only ever compares a correct one.
bool hmac_matches(const JwtToken& parsed, const JwtKey& key) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), key.material.data(), static_cast<int>(key.material.size()),
             reinterpret_cast<const unsigned char*>(parsed.signing_input.data()),
             parsed.signing_input.size(), mac, &mac_len) == nullptr) {
        return false;
    }
    return parsed.signature.size() == mac_len &&
           CRYPTO_memcmp(mac, parsed.signature.data(), mac_len) == 0;
}

bool key_verifies(const JwtToken& parsed, const std::string& token, const JwtKey& key) {
    if (key.algorithm != parsed.algorithm) return false;  // never trust the header's choice
    if (key.algorithm == JwtAlgorithm::HS256 && !hmac_matches(parsed, key)) return false;
    if (key.algorithm == JwtAlgorithm::ES256 && parsed.signature.size() != kEs256SignatureBytes) {
        return false;
    }
    jwt_t* raw = nullptr;
    int rc =
        jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key.material.data()),
                   static_cast<int>(key.material.size()));
    jwt_handles::JwtPtr decoded(raw);
    // The algorithm libjwt actually verified with must be the one this key is for.
    return rc == 0 && decoded && jwt_get_alg(decoded.get()) == libjwt_algorithm(key.algorithm);
}

}  // namespace

Status verify_jwt_signature(const JwtToken& parsed, std::string_view token, const JwtKeySet& keys) {
    std::vector<const JwtKey*> candidates;
    const JwtKey* named = parsed.kid ? keys.find_kid(*parsed.kid) : nullptr;
    if (named != nullptr) {
        if (named->algorithm != parsed.algorithm) {
            return Error::unauthorized("the bearer token's kid names a " +
                                       std::string(jwt_algorithm_name(named->algorithm)) +
                                       " key, not " +
                                       std::string(jwt_algorithm_name(parsed.algorithm)));
        }
        candidates.push_back(named);
    } else {
        // An unknown kid may still belong to a key that has none (a PEM file's).
        for (const JwtKey& key : keys.keys()) {
            if (key.algorithm == parsed.algorithm && (!parsed.kid || !key.kid)) {
                candidates.push_back(&key);
            }
        }
        if (candidates.empty()) {
            return Error::unauthorized(
                parsed.kid ? std::string("the bearer token's kid names no configured key")
                           : "no configured key verifies " +
                                 std::string(jwt_algorithm_name(parsed.algorithm)) +
                                 " tokens without a kid");
        }
    }
    const std::string terminated(token);  // jwt_decode reads a C string
    for (const JwtKey* key : candidates) {
        if (key_verifies(parsed, terminated, *key)) return ok_status();
    }
    return Error::unauthorized("the bearer token's signature does not verify");
}

}  // namespace spoke
