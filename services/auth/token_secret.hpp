#pragma once
// TokenSecret: making and recognising API token secrets ("spoke_" + 32 random bytes from the
// kernel, base64url), their public ids and the hash that is all storage ever keeps.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace spoke {

struct NewTokenSecret {
    std::string id;      // "tok_" + 16 lowercase hex
    std::string secret;  // "spoke_" + 43 base64url characters; shown once, never stored
    std::string hash;    // token_secret_hash(secret)
};

// Fresh id and secret from getrandom(2); Internal if the kernel gives no randomness.
Result<NewTokenSecret> make_token_secret();
// Lowercase hex SHA-256 of the secret: the key under which a token is stored and looked up.
std::string token_secret_hash(std::string_view secret);
// True when `text` has the shape of an API token secret (not whether it exists).
bool looks_like_token_secret(std::string_view text);
// Equality in time independent of where the two differ (CRYPTO_memcmp).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace spoke
