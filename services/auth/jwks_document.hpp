#pragma once
// Reading a JWKS document ({"keys": [...]}, RFC 7517) into verification keys: RSA and EC P-256
// public keys become PEM for libjwt, oct keys stay raw HMAC secrets.

#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/auth/jwt_key_set.hpp"

namespace spoke {

// Every key of the document, in order. One unusable key fails the whole document (bad_request,
// naming the key by position and kid): an operator would rather fix the file than learn later
// that a key was silently skipped.
Result<std::vector<JwtKey>> parse_jwks(std::string_view json);

}  // namespace spoke
