#pragma once
// JwtToken: a compact JWS bearer token split, strictly decoded and its header vetted, before
// any key or libjwt sees it. libjwt 1.10 would take the algorithm from the header, so the
// header is judged here: only RS256, ES256 and HS256, never "none", no "crit".

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "services/auth/jwt_handles.hpp"
#include "services/auth/jwt_key_set.hpp"

namespace spoke {

struct JwtToken {
    JwtAlgorithm algorithm = JwtAlgorithm::RS256;
    std::optional<std::string> kid;
    std::string_view signing_input;  // "header.payload" exactly as signed; a view of the token
    std::string signature;           // decoded, never empty
    jwt_handles::JsonPtr claims;     // the decoded payload: a JSON object
};

// Errors are unauthorized with a short reason; they never quote the token or any part of it.
Result<JwtToken> parse_jwt_token(std::string_view token);

}  // namespace spoke
