#pragma once
// The SQL of the postgres storage type and the decoding of its rows into registry records. Every
// statement is one round trip; the push is one statement, so one implicit transaction.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke::registry_sql {

using Params = std::vector<std::optional<std::string>>;

// A text[] literal ({"a","b"}) for a $n::text[] parameter; every element quoted and escaped.
std::string text_array(const std::vector<std::string>& items);

// $1 name, $2 description, $3 created_at (ms since the epoch). One row (id) when created, none
// when the name was taken.
extern const char* const kCreateModule;

// $1 name. Module columns (kModuleColumns), or no row.
extern const char* const kGetModule;

// $1 name, $2 level, $3 now (ms since the epoch; updated_at never moves back). Module columns,
// or no row when the module does not exist.
extern const char* const kSetCompatibility;

// $1 prefix, $2 limit, $3 offset, $4 after (names after it in byte order; '' from the start).
// Column 0 the total matching the prefix; module columns from 1 (NULL name for an empty page).
extern const char* const kListModules;

// $1 module. Column 0 whether the module exists; version columns from 1 (NULL id: no versions).
extern const char* const kListVersions;

// $1 name. Module columns, then version columns from kModuleColumns, one row per version (one
// row with a NULL version id when it has none); no row when the module does not exist.
extern const char* const kModuleWithVersions;

// $1 modules text[], $2 versions text[] (version_key, or "latest"). Per ref (in order): column 0
// its 1-based ordinal, 1 whether the module exists, version columns from 2 (NULL id when the
// version does not exist). "latest" is the first version in versions_latest's order (migration
// 0003), the one select_latest() (registry/semver.hpp) would choose.
extern const char* const kResolveRefs;

// Same parameters as kResolveRefs. Every version reachable from the refs, once: column 0 the
// ordinals of the refs it resolves (comma-separated, NULL for a plain dependency), version
// columns from 1.
extern const char* const kClosure;

// $1 version id. (module name, version) of the versions that depend on it directly.
extern const char* const kDependents;

// The push, in one statement: $1 module, $2 version, $3 version_key, $4 digest, $5 created_at
// ms, $6-$8 source, $9-$11 major/minor/patch, $12 prerelease, $13 paths[], $14 sha256s[], $15
// sizes[], $16 object keys[], $17 dependency modules[], $18 dependency version_keys[]. A new
// version also counts on its module's row (version_count, updated_at). One row: module exists
// (0/1), new version id (NULL when the version already existed), files inserted, dependencies
// inserted.
extern const char* const kPutVersion;

// Columns decoded by decode_module (7) and decode_version (10).
inline constexpr int kModuleColumns = 7;
inline constexpr int kVersionColumns = 10;

Result<Module> decode_module(const PgResult& r, int row, int col);
// NULL id (no such version in a LEFT JOIN) decodes to nullopt.
Result<std::optional<VersionRecord>> decode_version(const PgResult& r, int row, int col,
                                                    int64_t* id = nullptr);

// The parameters of kPutVersion for a draft; BadRequest if a version number does not fit the
// database's bigint.
Result<Params> put_version_params(const VersionDraft& draft);

}  // namespace spoke::registry_sql
