#pragma once
// The SQL of the Confluent dialect's tables (migrations/0004_confluent_subjects.sql) and the
// decoding of their rows. Every statement is one round trip.

#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "common/result.hpp"
#include "registry/confluent/subject_model.hpp"

namespace spoke::subject_sql {

// $1 subject, $2 digest, $3 schema type, $4 text, $5 references (JSON), $6 expected latest.
// One row: out_version, out_schema_id, out_existed, out_conflict.
extern const char* const kRegister;
// $1 id. Schema columns (decode_schema), or no row when no version holds it.
extern const char* const kGetSchema;
// $1 subject. Version columns (decode_version), oldest first.
extern const char* const kListSubjectVersions;
// subject, whether a version is live; in byte order.
extern const char* const kListSubjects;
// $1 schema id. Version columns, by subject (byte order) and version.
extern const char* const kSchemaUsages;
// $1 subject, $2 versions integer[].
extern const char* const kSoftDelete;
extern const char* const kHardDelete;
// $1 subject, $2 version. Schema ids, ascending.
extern const char* const kReferencedBy;
// $1 setting ("compatibility" or "mode"), $2 subject ("": the registry's). value, or no row.
extern const char* const kGetSetting;
// $1 setting, $2 subject, $3 value.
extern const char* const kPutSetting;
// $1 setting, $2 subject.
extern const char* const kDeleteSetting;

const char* setting_name(SubjectSetting setting);
Result<RegisteredVersion> decode_registered(const PgResult& r, const std::string& subject,
                                            const std::string& digest);
Result<StoredSchema> decode_schema(const PgResult& r, int row);
Result<SubjectVersion> decode_version(const PgResult& r, int row);
// "{1,2,3}".
std::string int_array(const std::vector<int64_t>& values);

}  // namespace spoke::subject_sql
