#include "services/auth/jwt_key_set.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "services/auth/jwks_document.hpp"
#include "services/auth/public_key_pem.hpp"

namespace spoke {
namespace {

// A key file is a few kilobytes; anything far larger is the wrong file.
constexpr size_t kMaxKeyFileBytes = 1 << 20;

bool looks_like_json(std::string_view text) {
    size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{';
}

Result<std::vector<JwtKey>> keys_from_pem(std::string_view text) {
    auto blocks = read_pem_public_keys(text);
    if (!blocks.ok()) return std::move(blocks).error();
    std::vector<JwtKey> keys;
    for (size_t i = 0; i < blocks->size(); ++i) {
        PemPublicKey& block = (*blocks)[i];
        JwtKey key;
        key.kind = block.kind;
        key.algorithm = block.kind == JwtKeyKind::Rsa ? JwtAlgorithm::RS256 : JwtAlgorithm::ES256;
        key.material = std::move(block.pem);
        key.label = "PEM block " + std::to_string(i + 1);
        keys.push_back(std::move(key));
    }
    return keys;
}

}  // namespace

std::string_view jwt_algorithm_name(JwtAlgorithm algorithm) {
    switch (algorithm) {
        case JwtAlgorithm::RS256:
            return "RS256";
        case JwtAlgorithm::ES256:
            return "ES256";
        case JwtAlgorithm::HS256:
            return "HS256";
    }
    return "?";
}

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) {
    for (JwtAlgorithm a : {JwtAlgorithm::RS256, JwtAlgorithm::ES256, JwtAlgorithm::HS256}) {
        if (name == jwt_algorithm_name(a)) return a;
    }
    return std::nullopt;
}

Result<std::shared_ptr<const JwtKeySet>> JwtKeySet::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error::internal("cannot open the JWT key file " + quote_value(path) + ": " +
                               std::strerror(errno));
    }
    std::string text;
    text.resize(kMaxKeyFileBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return Error::internal("cannot read the JWT key file " + quote_value(path));
    text.resize(static_cast<size_t>(in.gcount()));
    return parse(text, path);
}

Result<std::shared_ptr<const JwtKeySet>> JwtKeySet::parse(std::string_view text,
                                                          std::string_view source) {
    const std::string where = "the JWT key file " + quote_value(source);
    if (text.size() > kMaxKeyFileBytes) {
        return Error::bad_request(where + " is larger than " + std::to_string(kMaxKeyFileBytes) +
                                  " bytes");
    }
    const bool jwks = looks_like_json(text);
    auto keys = jwks ? parse_jwks(text) : keys_from_pem(text);
    if (!keys.ok()) return Error::bad_request(where + ": " + keys.error().message);
    if (keys->empty()) {
        return Error::bad_request(where + (jwks ? " has an empty \"keys\" array"
                                                : " holds no \"BEGIN PUBLIC KEY\" block"));
    }
    std::set<std::string, std::less<>> kids;
    for (const JwtKey& key : *keys) {
        if (key.kid && !kids.insert(*key.kid).second) {
            return Error::bad_request(where + ": two keys have the kid " + quote_value(*key.kid));
        }
    }
    return std::make_shared<const JwtKeySet>(Built{}, std::move(*keys));
}

const JwtKey* JwtKeySet::find_kid(std::string_view kid) const {
    for (const JwtKey& key : keys_) {
        if (key.kid && *key.kid == kid) return &key;
    }
    return nullptr;
}

}  // namespace spoke
