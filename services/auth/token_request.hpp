#pragma once
// TokenRequest: what a new API token should be, as an admin asks for it (API or command line),
// and the rules it must follow before a record is made of it.

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "registry/api_token.hpp"
#include "services/auth/token_secret.hpp"

namespace spoke {

struct TokenRequest {
    std::string name;
    std::vector<std::string> scopes;
    std::vector<std::string> prefixes;
    std::optional<TimestampMs> expires_at;
};

// A token just made: its record (to store) and its secret (to show once).
struct CreatedToken {
    ApiToken record;
    std::string secret;
};

// Checks `request` (BadRequest naming the field) and makes the record and secret: scopes and
// prefixes sorted without duplicates, created_at = `now`.
Result<CreatedToken> make_token(TokenRequest request, TimestampMs now);

// True for the shape of a token id ("tok_" + 16 lowercase hex).
bool is_token_id(std::string_view id);

}  // namespace spoke
