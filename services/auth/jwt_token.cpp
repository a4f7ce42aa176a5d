#include "services/auth/jwt_token.hpp"

#include <strings.h>

#include "services/auth/base64url.hpp"

namespace spoke {
namespace {

using jwt_handles::JsonPtr;

// Duplicate members are refused: two "alg"s could be read one way here, another in libjwt.
Result<JsonPtr> decode_json_object(std::string_view part, const char* what) {
    auto bytes = base64url_decode(part);
    if (!bytes)
        return Error::unauthorized(std::string("the bearer token's ") + what +
                                   " is not valid base64url");
    JsonPtr value(json_loadb(bytes->data(), bytes->size(), JSON_REJECT_DUPLICATES, nullptr));
    if (!json_is_object(value.get())) {
        return Error::unauthorized(std::string("the bearer token's ") + what +
                                   " is not a JSON object");
    }
    return value;
}

Result<JwtAlgorithm> header_algorithm(const json_t* header) {
    const json_t* alg = json_object_get(header, "alg");
    if (!json_is_string(alg)) return Error::unauthorized("the bearer token's header has no alg");
    if (strcasecmp(json_string_value(alg), "none") == 0) {
        return Error::unauthorized("the bearer token's algorithm none is not accepted");
    }
    auto algorithm = parse_jwt_algorithm(json_string_value(alg));
    if (!algorithm || json_string_length(alg) != jwt_algorithm_name(*algorithm).size()) {
        return Error::unauthorized("the bearer token's algorithm is not RS256, ES256 or HS256");
    }
    return *algorithm;
}

}  // namespace

Result<JwtToken> parse_jwt_token(std::string_view token) {
    size_t first_dot = token.find('.');
    size_t second_dot =
        first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos) {
        return Error::unauthorized("the bearer token is not three parts separated by dots");
    }
    std::string_view header_part = token.substr(0, first_dot);
    std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
    std::string_view signature_part = token.substr(second_dot + 1);

    auto header = decode_json_object(header_part, "header");
    if (!header.ok()) return std::move(header).error();
    auto algorithm = header_algorithm(header->get());
    if (!algorithm.ok()) return std::move(algorithm).error();
    // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
    if (json_object_get(header->get(), "crit") != nullptr) {
        return Error::unauthorized("the bearer token has a crit header, which is not supported");
    }
    // libjwt 1.10.2 compares typ case-sensitively; a looser check here would only turn a clear
    // reason into "signature does not verify".
    const json_t* typ = json_object_get(header->get(), "typ");
    if (typ != nullptr &&
        !(json_is_string(typ) &&
          std::string_view(json_string_value(typ), json_string_length(typ)) == "JWT")) {
        return Error::unauthorized("the bearer token's typ is not JWT");
    }
    JwtToken parsed;
    parsed.algorithm = *algorithm;
    if (const json_t* kid = json_object_get(header->get(), "kid"); kid != nullptr) {
        if (!json_is_string(kid))
            return Error::unauthorized("the bearer token's kid is not a string");
        parsed.kid.emplace(json_string_value(kid), json_string_length(kid));
    }

    auto claims = decode_json_object(payload_part, "payload");
    if (!claims.ok()) return std::move(claims).error();
    auto signature = base64url_decode(signature_part);
    if (!signature)
        return Error::unauthorized("the bearer token's signature is not valid base64url");
    if (signature->empty()) return Error::unauthorized("the bearer token is not signed");

    parsed.signing_input = token.substr(0, second_dot);
    parsed.signature = std::move(*signature);
    parsed.claims = std::move(*claims);
    return parsed;
}

}  // namespace spoke
