#include "backends/postgres/subject_sql.hpp"

#include <charconv>
#include <string_view>

#include "backends/schema_references_json.hpp"

namespace spoke::subject_sql {
namespace {

#define SPOKE_VERSION_COLUMNS "v.subject, v.version, v.schema_id, s.digest, v.deleted"

Error bad_row(const char* what) {
    return Error::internal(std::string("unexpected Confluent subject row from PostgreSQL: ") +
                           what);
}

bool parse_i64(std::string_view s, int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

const char* const kRegister =
    "SELECT out_version, out_schema_id, out_existed, out_conflict FROM "
    "spoke_confluent_register($1, $2, $3, $4, $5::jsonb, $6::integer)";

const char* const kGetSchema =
    "SELECT s.id, s.schema_type, s.schema_text, s.refs::text, s.digest FROM confluent_schemas s "
    "WHERE s.id = $1::bigint AND EXISTS (SELECT 1 FROM confluent_subject_versions v WHERE "
    "v.schema_id = s.id)";

const char* const kListSubjectVersions =
    "SELECT " SPOKE_VERSION_COLUMNS
    " FROM confluent_subject_versions v JOIN confluent_schemas s ON s.id = v.schema_id "
    "WHERE v.subject = $1 ORDER BY v.version";

const char* const kListSubjects =
    "SELECT subject, bool_or(NOT deleted) FROM confluent_subject_versions GROUP BY subject "
    "ORDER BY subject COLLATE \"C\"";

const char* const kSchemaUsages =
    "SELECT " SPOKE_VERSION_COLUMNS
    " FROM confluent_subject_versions v JOIN confluent_schemas s ON s.id = v.schema_id "
    "WHERE v.schema_id = $1::bigint ORDER BY v.subject COLLATE \"C\", v.version";

const char* const kSoftDelete =
    "UPDATE confluent_subject_versions SET deleted = true WHERE subject = $1 AND version = "
    "ANY($2::integer[])";

const char* const kHardDelete =
    "DELETE FROM confluent_subject_versions WHERE subject = $1 AND version = ANY($2::integer[])";

const char* const kReferencedBy =
    "SELECT DISTINCT r.schema_id FROM confluent_schema_refs r WHERE r.subject = $1 AND "
    "r.version = $2::integer AND EXISTS (SELECT 1 FROM confluent_subject_versions v WHERE "
    "v.schema_id = r.schema_id AND NOT v.deleted) ORDER BY 1";

const char* const kGetSetting =
    "SELECT value FROM confluent_settings WHERE setting = $1 AND subject = $2";

const char* const kPutSetting =
    "INSERT INTO confluent_settings (setting, subject, value) VALUES ($1, $2, $3) "
    "ON CONFLICT (setting, subject) DO UPDATE SET value = excluded.value";

const char* const kDeleteSetting =
    "DELETE FROM confluent_settings WHERE setting = $1 AND subject = $2";

#undef SPOKE_VERSION_COLUMNS

const char* setting_name(SubjectSetting setting) {
    return setting == SubjectSetting::Compatibility ? "compatibility" : "mode";
}

Result<RegisteredVersion> decode_registered(const PgResult& r, const std::string& subject,
                                            const std::string& digest) {
    if (r.rows() != 1 || r.columns() != 4) return bad_row("registration");
    if (r.value(0, 3) == "t") {
        return Error{ErrorCode::VersionExists,
                     "another version of the subject was registered meanwhile",
                     {}};
    }
    RegisteredVersion out;
    out.version.subject = subject;
    out.version.schema_digest = digest;
    if (!parse_i64(r.value(0, 0), out.version.version) ||
        !parse_i64(r.value(0, 1), out.version.schema_id)) {
        return bad_row("registration");
    }
    out.existed = r.value(0, 2) == "t";
    return out;
}

Result<StoredSchema> decode_schema(const PgResult& r, int row) {
    StoredSchema s;
    if (r.columns() != 5 || !parse_i64(r.value(row, 0), s.id)) return bad_row("schema id");
    s.schema_type = r.value(row, 1);
    s.text = r.value(row, 2);
    auto refs = decode_references(r.value(row, 3));
    if (!refs) return std::move(refs).error();
    s.references = std::move(refs).value();
    s.digest = r.value(row, 4);
    return s;
}

Result<SubjectVersion> decode_version(const PgResult& r, int row) {
    SubjectVersion v;
    if (r.columns() != 5) return bad_row("version");
    v.subject = r.value(row, 0);
    if (!parse_i64(r.value(row, 1), v.version) || !parse_i64(r.value(row, 2), v.schema_id)) {
        return bad_row("version");
    }
    v.schema_digest = r.value(row, 3);
    v.deleted = r.value(row, 4) == "t";
    return v;
}

std::string int_array(const std::vector<int64_t>& values) {
    std::string out = "{";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += std::to_string(values[i]);
    }
    out += '}';
    return out;
}

}  // namespace spoke::subject_sql
