#include "backends/postgres/registry_sql.hpp"

#include <jansson.h>

#include <charconv>
#include <limits>
#include <memory>

#include "backends/s3/object_key.hpp"
#include "registry/semver.hpp"

namespace spoke::registry_sql {
namespace {

// Milliseconds since the epoch, as the server's clock wrote them (to_timestamp keeps
// microseconds, so the round trip is exact).
#define SPOKE_MS(expr) "(extract(epoch FROM " expr ") * 1000)::bigint"

// The order "latest" picks by (migration 0003's versions_latest index, whose first row for a
// module it is): releases before pre-releases, then semver precedence, then the later push, then
// the smaller version string, as registry/semver.cpp select_latest.
#define SPOKE_LATEST_ORDER(v)                                                    \
    v ".is_prerelease, " v ".major DESC, " v ".minor DESC, " v ".patch DESC, " v \
      ".prerelease_key DESC, " v ".created_at DESC, " v ".version COLLATE \"C\""

// The file and dependency lists are the row's own (migration 0003): JSON arrays in byte order
// (COLLATE "C", the filesystem backend's order whatever the database locale).
#define SPOKE_VERSION_COLUMNS(module_name) \
    "v.id, " module_name ", v.version, v.digest, " SPOKE_MS("v.created_at")                 \
    ", v.source_repository, v.source_commit_sha, v.source_branch, v.file_list, "            \
    "v.dependency_list"

// The name of a module's `latest` version: the first row of versions_latest for it.
#define SPOKE_LATEST_OF_MODULE                                                                 \
    "(SELECT l.version FROM versions l WHERE l.module_id = m.id ORDER BY " SPOKE_LATEST_ORDER( \
        "l") " LIMIT 1)"

// version_count and updated_at are kept on the row by kPutVersion; latest is one index probe.
#define SPOKE_MODULE_COLUMNS \
    "m.name AS name, m.description AS description, " SPOKE_MS("m.created_at")              \
    " AS created_ms, " SPOKE_MS("m.updated_at") " AS updated_ms, m.version_count AS "       \
                                                "version_count, " SPOKE_LATEST_OF_MODULE   \
                                                " AS latest, m.compatibility AS compatibility"

#define SPOKE_REFS "unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(module, vkey, ord)"
// The version a ref names: an exact version_key, or "latest". Two branches of a UNION ALL
// rather than one OR, so that each uses its index (the unique (module_id, version_key) one for
// exact refs, versions_latest for "latest") in a plan that is prepared once for both kinds.
#define SPOKE_REF_VERSIONS                                                                       \
    "((SELECT * FROM versions v0 WHERE q.vkey <> 'latest' AND v0.module_id = m.id AND "          \
    "v0.version_key = q.vkey) UNION ALL (SELECT * FROM versions v0 WHERE q.vkey = 'latest' AND " \
    "v0.module_id = m.id ORDER BY " SPOKE_LATEST_ORDER("v0") " LIMIT 1))"

// Modules whose names start with $1, in byte order: the range [$1, $1 || '~') of the
// modules_name_bytes index bounds the scan (names hold only [a-z0-9_.-], all below '~'), and
// starts_with keeps the answer right for any prefix.
#define SPOKE_PREFIX_RANGE(m)                                                                   \
    m ".name COLLATE \"C\" >= $1 AND " m ".name COLLATE \"C\" < ($1 || '~') AND starts_with(" m \
      ".name, $1)"

bool parse_i64(std::string_view s, int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

struct JsonFree {
    void operator()(json_t* j) const { json_decref(j); }
};
using Json = std::unique_ptr<json_t, JsonFree>;

Json parse_json(std::string_view text) {
    json_error_t err;
    return Json(json_loadb(text.data(), text.size(), 0, &err));
}

Error bad_row(const char* what) {
    return Error::internal(std::string("unexpected row from PostgreSQL: ") + what);
}

}  // namespace

const char* const kCreateModule =
    "INSERT INTO modules (name, description, created_at, updated_at) VALUES ($1, $2, "
    "to_timestamp($3::bigint / 1000.0), to_timestamp($3::bigint / 1000.0)) ON CONFLICT (name) DO "
    "NOTHING RETURNING id";

const char* const kGetModule = "SELECT " SPOKE_MODULE_COLUMNS " FROM modules m WHERE m.name = $1";

const char* const kSetCompatibility =
    "UPDATE modules m SET compatibility = $2, updated_at = greatest(m.updated_at, "
    "to_timestamp($3::bigint / 1000.0)) WHERE m.name = $1 RETURNING " SPOKE_MODULE_COLUMNS;

const char* const kListModules =
    "SELECT t.total, p.* FROM (SELECT count(*) AS total FROM modules c WHERE " SPOKE_PREFIX_RANGE(
        "c") ") t LEFT JOIN LATERAL (SELECT " SPOKE_MODULE_COLUMNS
             " FROM modules m WHERE " SPOKE_PREFIX_RANGE(
                 "m") " AND m.name COLLATE \"C\" > $4 ORDER BY m.name COLLATE \"C\" LIMIT "
                      "$2::bigint OFFSET $3::bigint) p ON true";

const char* const kListVersions =
    "SELECT m.id IS NOT NULL, " SPOKE_VERSION_COLUMNS("m.name")
    " FROM (SELECT 1) one LEFT JOIN modules m ON m.name = $1 LEFT JOIN versions v ON "
    "v.module_id = m.id";

// OFFSET 0 keeps the module subquery from being flattened into the join, so its `latest` probe
// runs once, not once per version.
const char* const kModuleWithVersions =
    "SELECT mm.name, mm.description, mm.created_ms, mm.updated_ms, mm.version_count, mm.latest, "
    "mm.compatibility, " SPOKE_VERSION_COLUMNS(
        "mm.name") " FROM (SELECT m.id, " SPOKE_MODULE_COLUMNS
                   " FROM modules m WHERE m.name = $1 OFFSET 0) mm LEFT JOIN versions v ON "
                   "v.module_id = mm.id";

// Each lookup below is a LATERAL subquery with OFFSET 0, so it stays a per-row index probe:
// a generic plan estimates the refs and the recursion at thousands of rows (it cannot see the
// arrays), and, left to join freely, hashed whole tables for them. The closure query then
// seq-scanned `versions` and `version_dependencies` on every push, its cost growing with the
// registry (docs/benchmarks.md, issue 11).
#define SPOKE_MODULE_BY_NAME \
    "(SELECT mm.id, mm.name FROM modules mm WHERE mm.name = q.module OFFSET 0)"

const char* const kResolveRefs = "SELECT q.ord, m.id IS NOT NULL, " SPOKE_VERSION_COLUMNS(
    "m.name") " FROM " SPOKE_REFS " LEFT JOIN LATERAL " SPOKE_MODULE_BY_NAME
              " m ON true LEFT JOIN LATERAL " SPOKE_REF_VERSIONS " v ON true ORDER BY q.ord";

const char* const kClosure =
    "WITH RECURSIVE roots AS (SELECT q.ord, v0.id FROM " SPOKE_REFS
    " CROSS JOIN LATERAL " SPOKE_MODULE_BY_NAME " m CROSS JOIN LATERAL " SPOKE_REF_VERSIONS
    " v0), c(id) AS (SELECT id FROM roots UNION SELECT d.depends_on_version_id FROM c CROSS JOIN "
    "LATERAL (SELECT dd.depends_on_version_id FROM version_dependencies dd WHERE dd.version_id = "
    "c.id OFFSET 0) d) "
    "SELECT (SELECT string_agg(r.ord::text, ',') FROM roots r WHERE r.id = v.id), "
    SPOKE_VERSION_COLUMNS("v.module_name") " FROM c CROSS JOIN LATERAL (SELECT vv.*, mv.name AS "
    "module_name FROM versions vv JOIN modules mv ON mv.id = vv.module_id WHERE vv.id = c.id "
    "OFFSET 0) v";

const char* const kDependents =
    "SELECT m.name, v.version FROM version_dependencies d JOIN versions v ON v.id = d.version_id "
    "JOIN modules m ON m.id = v.module_id WHERE d.depends_on_version_id = $1::bigint";

const char* const kPutVersion =
    "WITH m AS (SELECT id FROM modules WHERE name = $1), "
    // The row's file and dependency lists, as migration 0003 builds them for older rows.
    "fl AS (SELECT coalesce(json_agg(json_build_array(x.path, x.sha256, x.size) ORDER BY x.path "
    "COLLATE \"C\"), '[]') AS j FROM unnest($13::text[], $14::text[], $15::bigint[]) AS x(path, "
    "sha256, size)), "
    "dl AS (SELECT coalesce(json_agg(dm.name || '@' || dv.version ORDER BY (dm.name || '@' || "
    "dv.version) COLLATE \"C\"), '[]') AS j FROM unnest($17::text[], $18::text[]) AS dep(module, "
    "vkey) JOIN modules dm ON dm.name = dep.module JOIN versions dv ON dv.module_id = dm.id AND "
    "dv.version_key = dep.vkey), "
    "v AS (INSERT INTO versions (module_id, version, version_key, digest, created_at, "
    "source_repository, source_commit_sha, source_branch, major, minor, patch, prerelease, "
    "is_prerelease, prerelease_key, file_list, dependency_list) SELECT m.id, $2, $3, $4, "
    "to_timestamp($5::bigint / 1000.0), $6, $7, $8, $9::bigint, $10::bigint, $11::bigint, $12, "
    "$12 <> '', spoke_prerelease_key($12), (SELECT j FROM fl), (SELECT j FROM dl) FROM m ON "
    "CONFLICT (module_id, version_key) DO NOTHING RETURNING id), "
    // Only when the version was inserted (FROM v): the module's count and last change.
    "u AS (UPDATE modules mu SET version_count = mu.version_count + 1, updated_at = "
    "greatest(mu.updated_at, to_timestamp($5::bigint / 1000.0)) FROM v WHERE mu.id = (SELECT id "
    "FROM m) RETURNING 1), "
    "f AS (INSERT INTO version_files (version_id, path, sha256, size, object_key) SELECT v.id, "
    "x.path, x.sha256, x.size, x.object_key FROM v, unnest($13::text[], $14::text[], "
    "$15::bigint[], $16::text[]) AS x(path, sha256, size, object_key) RETURNING 1), "
    "d AS (INSERT INTO version_dependencies (version_id, depends_on_version_id) SELECT v.id, dv.id "
    "FROM v, unnest($17::text[], $18::text[]) AS dep(module, vkey) JOIN modules dm ON dm.name = "
    "dep.module JOIN versions dv ON dv.module_id = dm.id AND dv.version_key = dep.vkey RETURNING "
    "1) "
    "SELECT (SELECT count(*) FROM m), (SELECT id FROM v), (SELECT count(*) FROM f), (SELECT "
    "count(*) FROM d)";

std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

Result<Module> decode_module(const PgResult& r, int row, int col) {
    Module m;
    m.name = std::string(r.value(row, col));
    m.description = std::string(r.value(row, col + 1));
    int64_t count = 0;
    if (!parse_i64(r.value(row, col + 2), m.created_at) ||
        !parse_i64(r.value(row, col + 3), m.updated_at) ||
        !parse_i64(r.value(row, col + 4), count)) {
        return bad_row("module timestamps or count");
    }
    m.version_count = static_cast<uint64_t>(count);
    if (!r.is_null(row, col + 5)) m.latest_version = std::string(r.value(row, col + 5));
    m.compatibility = std::string(r.value(row, col + 6));
    return m;
}

Result<std::optional<VersionRecord>> decode_version(const PgResult& r, int row, int col,
                                                    int64_t* id) {
    if (r.is_null(row, col)) return std::optional<VersionRecord>();
    VersionRecord v;
    int64_t version_id = 0;
    if (!parse_i64(r.value(row, col), version_id)) return bad_row("version id");
    if (id != nullptr) *id = version_id;
    v.module_name = std::string(r.value(row, col + 1));
    v.version = std::string(r.value(row, col + 2));
    v.digest = std::string(r.value(row, col + 3));
    if (!parse_i64(r.value(row, col + 4), v.created_at)) return bad_row("version created_at");
    v.source_info.repository = std::string(r.value(row, col + 5));
    v.source_info.commit_sha = std::string(r.value(row, col + 6));
    v.source_info.branch = std::string(r.value(row, col + 7));

    Json files = parse_json(r.value(row, col + 8));
    if (!files || !json_is_array(files.get())) return bad_row("version files");
    size_t i;
    json_t* f;
    json_array_foreach(files.get(), i, f) {
        json_t* path = json_array_get(f, 0);
        json_t* sha = json_array_get(f, 1);
        json_t* size = json_array_get(f, 2);
        if (!json_is_string(path) || !json_is_string(sha) || !json_is_integer(size)) {
            return bad_row("version file entry");
        }
        v.files.push_back({json_string_value(path), json_string_value(sha),
                           static_cast<uint64_t>(json_integer_value(size))});
    }
    Json deps = parse_json(r.value(row, col + 9));
    if (!deps || !json_is_array(deps.get())) return bad_row("version dependencies");
    json_t* d;
    json_array_foreach(deps.get(), i, d) {
        if (!json_is_string(d)) return bad_row("version dependency");
        v.dependencies.emplace_back(json_string_value(d));
    }
    return std::optional<VersionRecord>(std::move(v));
}

Result<Params> put_version_params(const VersionDraft& draft) {
    const VersionRecord& r = draft.record;
    auto sv = parse_semver(r.version);
    if (!sv) return Error::bad_request("version " + quote_value(r.version) + " is not semver");
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (sv->major > kMax || sv->minor > kMax || sv->patch > kMax) {
        return Error::bad_request("version " + quote_value(r.version) +
                                  ": numbers above 9223372036854775807 are not supported");
    }
    std::string prerelease;
    for (size_t i = 0; i < sv->prerelease.size(); ++i) {
        if (i > 0) prerelease += '.';
        prerelease += sv->prerelease[i];
    }
    std::vector<std::string> paths, shas, sizes, keys, dep_modules, dep_keys;
    for (const auto& f : r.files) {
        paths.push_back(f.path);
        shas.push_back(f.sha256);
        sizes.push_back(std::to_string(f.size));
        keys.push_back(content_object_key(f.sha256));
    }
    for (const auto& dep : r.dependencies) {
        size_t at = dep.find('@');
        if (at == std::string::npos) return Error::internal("dependency without '@' in a draft");
        dep_modules.push_back(dep.substr(0, at));
        dep_keys.push_back(version_key(std::string_view(dep).substr(at + 1)));
    }
    return Params{r.module_name,
                  r.version,
                  version_key(r.version),
                  r.digest,
                  std::to_string(r.created_at),
                  r.source_info.repository,
                  r.source_info.commit_sha,
                  r.source_info.branch,
                  std::to_string(sv->major),
                  std::to_string(sv->minor),
                  std::to_string(sv->patch),
                  prerelease,
                  text_array(paths),
                  text_array(shas),
                  text_array(sizes),
                  text_array(keys),
                  text_array(dep_modules),
                  text_array(dep_keys)};
}

}  // namespace spoke::registry_sql
