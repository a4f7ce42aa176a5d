#include "backends/postgres/token_sql.hpp"

#include <jansson.h>

#include <charconv>
#include <memory>
#include <string_view>

namespace spoke::token_sql {
namespace {

// Milliseconds since the epoch (NULL stays NULL); to_timestamp keeps microseconds, so a time
// written from milliseconds reads back exactly.
#define SPOKE_MS(expr) "(extract(epoch FROM " expr ") * 1000)::bigint"

// The arrays as JSON: one format to decode whatever the elements hold.
#define SPOKE_TOKEN_COLUMNS \
    "t.id, t.name, t.secret_hash, to_json(t.scopes)::text, to_json(t.prefixes)::text, " \
    SPOKE_MS("t.expires_at") ", " SPOKE_MS("t.created_at") ", " SPOKE_MS(             \
        "t.last_used_at") ", " SPOKE_MS("t.revoked_at")

struct JsonFree {
    void operator()(json_t* j) const { json_decref(j); }
};
using Json = std::unique_ptr<json_t, JsonFree>;

Error bad_row(const char* what) {
    return Error::internal(std::string("unexpected api_tokens row from PostgreSQL: ") + what);
}

bool parse_i64(std::string_view s, int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool decode_strings(std::string_view text, std::vector<std::string>& out) {
    json_error_t err;
    Json array(json_loadb(text.data(), text.size(), 0, &err));
    if (!array || !json_is_array(array.get())) return false;
    size_t i;
    json_t* v;
    json_array_foreach(array.get(), i, v) {
        if (!json_is_string(v)) return false;
        out.emplace_back(json_string_value(v), json_string_length(v));
    }
    return true;
}

bool decode_time(const PgResult& r, int row, int col, std::optional<TimestampMs>& out) {
    if (r.is_null(row, col)) return true;
    TimestampMs t = 0;
    if (!parse_i64(r.value(row, col), t)) return false;
    out = t;
    return true;
}

std::optional<std::string> optional_ms(const std::optional<TimestampMs>& t) {
    if (!t) return std::nullopt;
    return std::to_string(*t);
}

}  // namespace

const char* const kCreateToken =
    "INSERT INTO api_tokens AS t (id, name, secret_hash, scopes, prefixes, expires_at, "
    "created_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4::text[], $5::text[], "
    "to_timestamp($6::bigint / 1000.0), to_timestamp($7::bigint / 1000.0), "
    "to_timestamp($8::bigint / 1000.0), to_timestamp($9::bigint / 1000.0)) "
    "RETURNING " SPOKE_TOKEN_COLUMNS;

const char* const kFindToken =
    "SELECT " SPOKE_TOKEN_COLUMNS " FROM api_tokens t WHERE t.secret_hash = $1";

const char* const kListTokens =
    "SELECT " SPOKE_TOKEN_COLUMNS " FROM api_tokens t ORDER BY t.created_at, t.id COLLATE \"C\"";

const char* const kRevokeToken =
    "UPDATE api_tokens t SET revoked_at = coalesce(t.revoked_at, now()) WHERE t.id = $1 "
    "RETURNING " SPOKE_TOKEN_COLUMNS;

// One row per hash (an UPDATE ... FROM with several matches per row would apply an arbitrary
// one), and only rows that move: no dead tuple for a use that changes nothing.
const char* const kRecordTokenUse =
    "UPDATE api_tokens t SET last_used_at = greatest(coalesce(t.last_used_at, u.at), u.at) "
    "FROM (SELECT x.hash, to_timestamp(max(x.ms) / 1000.0) AS at "
    "FROM unnest($1::text[], $2::bigint[]) AS x(hash, ms) GROUP BY x.hash) u "
    "WHERE t.secret_hash = u.hash AND (t.last_used_at IS NULL OR t.last_used_at < u.at)";

registry_sql::Params create_token_params(const ApiToken& token) {
    return {token.id,
            token.name,
            token.secret_hash,
            registry_sql::text_array(token.scopes),
            registry_sql::text_array(token.prefixes),
            optional_ms(token.expires_at),
            std::to_string(token.created_at),
            optional_ms(token.last_used_at),
            optional_ms(token.revoked_at)};
}

registry_sql::Params record_use_params(const std::vector<TokenUse>& uses) {
    std::vector<std::string> hashes, times;
    hashes.reserve(uses.size());
    times.reserve(uses.size());
    for (const TokenUse& use : uses) {
        hashes.push_back(use.secret_hash);
        times.push_back(std::to_string(use.at));
    }
    return {registry_sql::text_array(hashes), registry_sql::text_array(times)};
}

Result<ApiToken> decode_token(const PgResult& r, int row) {
    if (r.columns() != kTokenColumns) return bad_row("column count");
    ApiToken t;
    t.id = std::string(r.value(row, 0));
    t.name = std::string(r.value(row, 1));
    t.secret_hash = std::string(r.value(row, 2));
    if (!decode_strings(r.value(row, 3), t.scopes)) return bad_row("scopes");
    if (!decode_strings(r.value(row, 4), t.prefixes)) return bad_row("prefixes");
    if (!decode_time(r, row, 5, t.expires_at)) return bad_row("expires_at");
    if (r.is_null(row, 6) || !parse_i64(r.value(row, 6), t.created_at)) {
        return bad_row("created_at");
    }
    if (!decode_time(r, row, 7, t.last_used_at)) return bad_row("last_used_at");
    if (!decode_time(r, row, 8, t.revoked_at)) return bad_row("revoked_at");
    return t;
}

#undef SPOKE_TOKEN_COLUMNS
#undef SPOKE_MS

}  // namespace spoke::token_sql
