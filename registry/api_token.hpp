#pragma once
// ApiToken: the stored record of an API token. It never holds the secret, only its hash.
// TokenUse: one "this token was used at" observation, flushed to storage in batches.

#include <optional>
#include <string>
#include <vector>

#include "common/timestamp.hpp"

namespace spoke {

struct ApiToken {
    std::string id;           // public, "tok_" + 16 lowercase hex; names the token in the API
    std::string name;         // given at creation, for people
    std::string secret_hash;  // lowercase hex SHA-256 of the whole secret ("spoke_...")
    std::vector<std::string> scopes;    // "read", "write", "admin"; sorted, no duplicates
    std::vector<std::string> prefixes;  // module-name prefixes it is limited to; empty: all
    std::optional<TimestampMs> expires_at;
    TimestampMs created_at = 0;
    std::optional<TimestampMs> last_used_at;
    std::optional<TimestampMs> revoked_at;
};

struct TokenUse {
    std::string secret_hash;
    TimestampMs at = 0;
};

}  // namespace spoke
