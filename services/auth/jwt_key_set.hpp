#pragma once
// JwtKeySet: the immutable set of keys that may verify bearer tokens, loaded from one PEM or
// JWKS file; shared by every verification until a reload replaces it.
// JwtKey: one verification key, the one algorithm it may verify and the bytes libjwt takes.
// JwtAlgorithm: the JWS algorithms accepted at all; JwtKeyKind: what a key is.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace spoke {

enum class JwtAlgorithm { RS256, ES256, HS256 };
enum class JwtKeyKind { Rsa, EcP256, HmacSecret };

// "RS256", "ES256", "HS256".
std::string_view jwt_algorithm_name(JwtAlgorithm algorithm);
// The algorithm named exactly (case matters, as in JOSE), or nullopt.
std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name);

struct JwtKey {
    std::optional<std::string> kid;
    JwtKeyKind kind = JwtKeyKind::Rsa;
    JwtAlgorithm algorithm = JwtAlgorithm::RS256;
    // A PEM SubjectPublicKeyInfo for RSA and EC, the raw secret for HMAC: what jwt_decode takes.
    std::string material;
    // "key 2 (kid "a1")": names the key in error messages; never shows the material.
    std::string label;
};

class JwtKeySet {
  public:
    // Reads `path`: a JWKS document when its first non-blank byte is '{', PEM otherwise. Errors
    // name the file and the key at fault; a file without a usable key is an error.
    static Result<std::shared_ptr<const JwtKeySet>> load(const std::string& path);
    // The same from text in memory; `source` names it in errors.
    static Result<std::shared_ptr<const JwtKeySet>> parse(std::string_view text,
                                                          std::string_view source);

    // Only for load() and parse(), which std::make_shared needs to reach.
    struct Built {
        explicit Built() = default;
    };
    JwtKeySet(Built, std::vector<JwtKey> keys) : keys_(std::move(keys)) {}

    const std::vector<JwtKey>& keys() const { return keys_; }
    // The key whose kid is `kid`, or nullptr (kids are unique within a set).
    const JwtKey* find_kid(std::string_view kid) const;

  private:
    std::vector<JwtKey> keys_;
};

}  // namespace spoke
