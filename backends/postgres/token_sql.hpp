#pragma once
// The SQL of the api_tokens table (migrations/0002_api_tokens.sql) and the decoding of its rows.
// Every statement is one round trip. Times travel as milliseconds since the epoch.

#include <optional>
#include <string>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/postgres/registry_sql.hpp"
#include "common/result.hpp"
#include "registry/api_token.hpp"

namespace spoke::token_sql {

// $1 id, $2 name, $3 secret_hash, $4 scopes text[], $5 prefixes text[], $6 expires_at,
// $7 created_at, $8 last_used_at, $9 revoked_at (NULL for unset). Token columns of the new row;
// a taken id or hash is a unique violation.
extern const char* const kCreateToken;

// $1 secret_hash. Token columns, or no row.
extern const char* const kFindToken;

// Token columns of every token, in list_tokens order (created_at, then id in byte order).
extern const char* const kListTokens;

// $1 id. Sets revoked_at to now() unless it is set. Token columns, or no row for an unknown id.
extern const char* const kRevokeToken;

// $1 secret hashes text[], $2 times bigint[] (ms; same length). Raises each token's
// last_used_at to the latest time given for its hash, never lowering it; unknown hashes match
// nothing.
extern const char* const kRecordTokenUse;

// Columns decoded by decode_token.
inline constexpr int kTokenColumns = 9;

// The parameters of kCreateToken.
registry_sql::Params create_token_params(const ApiToken& token);
// The parameters of kRecordTokenUse.
registry_sql::Params record_use_params(const std::vector<TokenUse>& uses);

Result<ApiToken> decode_token(const PgResult& r, int row);

}  // namespace spoke::token_sql
