#pragma once
// Checking a bearer token's signature: choosing the one key its header may use, then libjwt's
// jwt_decode with exactly that key, so the token's own header can never pick the algorithm.

#include <string_view>

#include "common/result.hpp"
#include "services/auth/jwt_key_set.hpp"
#include "services/auth/jwt_token.hpp"

namespace spoke {

// `token` is the text `parsed` came from. Keys tried: the one the header's kid names (its
// algorithm must be the header's); without a kid, every key of the header's algorithm; with a
// kid no key carries, every key of that algorithm that has no kid (PEM keys have none, yet
// identity providers send one). Errors are unauthorized.
Status verify_jwt_signature(const JwtToken& parsed, std::string_view token, const JwtKeySet& keys);

}  // namespace spoke
