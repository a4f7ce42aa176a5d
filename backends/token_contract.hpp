#pragma once
// What every Storage implementation checks and says about API tokens, written once so that both
// backends accept the same inputs, order listings the same way and word errors alike.

#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/api_token.hpp"

namespace spoke::token_contract {

// True for a secret hash as stored: 64 lowercase hex characters (a SHA-256). The filesystem
// backend uses it as a file name, so nothing else may pass.
bool is_secret_hash(std::string_view hash);

// BadRequest for a secret hash that is not is_secret_hash (the value is not echoed: it is
// derived from a credential).
Error malformed_secret_hash();
// NotFound naming the token id.
Error token_missing(std::string_view id);
// Internal: a new token's id or secret hash is already stored (both are random: a bug).
Error token_clash();

// The listing order of list_tokens: oldest first (created_at), then id in byte order.
void sort_tokens(std::vector<ApiToken>& tokens);

}  // namespace spoke::token_contract
