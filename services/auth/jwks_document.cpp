#include "services/auth/jwks_document.hpp"

#include <optional>
#include <string>

#include "services/auth/base64url.hpp"
#include "services/auth/jwt_handles.hpp"
#include "services/auth/public_key_pem.hpp"

namespace spoke {
namespace {

using jwt_handles::JsonPtr;

// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
constexpr size_t kMinHmacSecretBytes = 32;

struct JwkFields {
    const json_t* object;
    std::string label;

    // The member as a string; nullopt when absent; an error when present but not a string.
    Result<std::optional<std::string>> optional_string(const char* name) const {
        const json_t* v = json_object_get(object, name);
        if (v == nullptr) return std::optional<std::string>();
        if (!json_is_string(v))
            return Error::bad_request(label + ": \"" + name + "\" is not a string");
        return std::optional<std::string>(std::string(json_string_value(v), json_string_length(v)));
    }

    Result<std::string> required_bytes(const char* name) const {
        auto text = optional_string(name);
        if (!text.ok()) return std::move(text).error();
        if (!*text) return Error::bad_request(label + ": \"" + name + "\" is missing");
        auto bytes = base64url_decode(**text);
        if (!bytes || bytes->empty()) {
            return Error::bad_request(label + ": \"" + name + "\" is not valid unpadded base64url");
        }
        return std::move(*bytes);
    }

    Status refuse_private_part() const {
        if (json_object_get(object, "d") != nullptr) {
            return Error::bad_request(label +
                                      " holds a private key (\"d\"); give only the public part");
        }
        return ok_status();
    }
};

Result<std::string> label_of(const json_t* jwk, size_t position) {
    std::string label = "key " + std::to_string(position);
    const json_t* kid = json_object_get(jwk, "kid");
    if (kid == nullptr) return label;
    if (!json_is_string(kid) || json_string_length(kid) == 0) {
        return Error::bad_request(label + ": \"kid\" is not a non-empty string");
    }
    return label + " (kid " + quote_value(json_string_value(kid)) + ")";
}

Result<JwtKey> parse_jwk(const json_t* jwk, size_t position) {
    auto label = label_of(jwk, position);
    if (!label.ok()) return std::move(label).error();
    if (!json_is_object(jwk)) return Error::bad_request(*label + " is not a JSON object");
    JwkFields f{jwk, *label};

    JwtKey key;
    key.label = *label;
    auto kid = f.optional_string("kid");
    auto kty = f.optional_string("kty");
    auto use = f.optional_string("use");
    auto alg = f.optional_string("alg");
    for (auto* r : {&kid, &kty, &use, &alg}) {
        if (!r->ok()) return r->error();
    }
    key.kid = *kid;
    if (*use && **use != "sig") {
        return Error::bad_request(f.label + ": \"use\" is " + quote_value(**use) +
                                  "; only \"sig\" keys verify tokens");
    }
    if (!*kty) return Error::bad_request(f.label + ": \"kty\" is missing");

    if (**kty == "RSA") {
        if (auto s = f.refuse_private_part(); !s.ok()) return s.error();
        auto n = f.required_bytes("n");
        if (!n.ok()) return std::move(n).error();
        auto e = f.required_bytes("e");
        if (!e.ok()) return std::move(e).error();
        auto pem = rsa_public_key_pem(*n, *e);
        if (!pem.ok()) return Error::bad_request(f.label + ": " + pem.error().message);
        key.kind = JwtKeyKind::Rsa;
        key.algorithm = JwtAlgorithm::RS256;
        key.material = std::move(*pem);
    } else if (**kty == "EC") {
        if (auto s = f.refuse_private_part(); !s.ok()) return s.error();
        auto crv = f.optional_string("crv");
        if (!crv.ok()) return std::move(crv).error();
        if (!*crv || **crv != "P-256") {
            return Error::bad_request(f.label + ": \"crv\" is " +
                                      (*crv ? quote_value(**crv) : std::string("missing")) +
                                      "; only \"P-256\" is accepted");
        }
        auto x = f.required_bytes("x");
        if (!x.ok()) return std::move(x).error();
        auto y = f.required_bytes("y");
        if (!y.ok()) return std::move(y).error();
        auto pem = ec_p256_public_key_pem(*x, *y);
        if (!pem.ok()) return Error::bad_request(f.label + ": " + pem.error().message);
        key.kind = JwtKeyKind::EcP256;
        key.algorithm = JwtAlgorithm::ES256;
        key.material = std::move(*pem);
    } else if (**kty == "oct") {
        auto k = f.required_bytes("k");
        if (!k.ok()) return std::move(k).error();
        if (k->size() < kMinHmacSecretBytes) {
            return Error::bad_request(f.label + ": the secret \"k\" has " +
                                      std::to_string(k->size()) + " bytes; HS256 needs at least " +
                                      std::to_string(kMinHmacSecretBytes));
        }
        key.kind = JwtKeyKind::HmacSecret;
        key.algorithm = JwtAlgorithm::HS256;
        key.material = std::move(*k);
    } else {
        return Error::bad_request(f.label + ": \"kty\" " + quote_value(**kty) +
                                  " is not supported; RSA, EC and oct are");
    }

    if (*alg && parse_jwt_algorithm(**alg) != key.algorithm) {
        return Error::bad_request(f.label + ": \"alg\" is " + quote_value(**alg) + "; a " + **kty +
                                  " key here verifies " +
                                  std::string(jwt_algorithm_name(key.algorithm)) + " only");
    }
    return key;
}

}  // namespace

Result<std::vector<JwtKey>> parse_jwks(std::string_view json) {
    json_error_t err;
    JsonPtr doc(json_loadb(json.data(), json.size(), JSON_REJECT_DUPLICATES, &err));
    if (!doc) {
        return Error::bad_request("the JWKS is not valid JSON (line " + std::to_string(err.line) +
                                  ", column " + std::to_string(err.column) + ": " + err.text + ")");
    }
    const json_t* list = json_object_get(doc.get(), "keys");
    if (!json_is_array(list)) return Error::bad_request("the JWKS has no \"keys\" array");
    std::vector<JwtKey> keys;
    for (size_t i = 0; i < json_array_size(list); ++i) {
        auto key = parse_jwk(json_array_get(list, i), i + 1);
        if (!key.ok()) return std::move(key).error();
        keys.push_back(std::move(*key));
    }
    return keys;
}

}  // namespace spoke
