#pragma once
// Records of the Confluent Schema Registry dialect (docs/confluent.md): schemas under global ids,
// the versions of subjects that point at them, and the per-subject settings. Plain data, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spoke {

// SchemaReference: one `references` entry; the import path `name` is the schema registered as
// `subject` version `version`.
struct SchemaReference {
    std::string name;
    std::string subject;
    int64_t version = 0;
    bool operator==(const SchemaReference&) const = default;
};

// StoredSchema: a schema under its global id, immutable once stored. Identical content (the
// digest over type, text and references) has one id.
struct StoredSchema {
    int64_t id = 0;
    std::string schema_type = "PROTOBUF";
    std::string text;
    std::vector<SchemaReference> references;
    std::string digest;  // "sha256:<hex>" (confluent_schema.hpp)
};

// SubjectVersion: one version of a subject and the schema it holds.
struct SubjectVersion {
    std::string subject;
    int64_t version = 0;
    int64_t schema_id = 0;
    std::string schema_digest;
    bool deleted = false;  // soft-deleted: still resolvable by id and with ?deleted=true
};

// SubjectRegistration: a schema to register under a subject (the schema's id is ignored).
struct SubjectRegistration {
    std::string subject;
    StoredSchema schema;
    // The subject's highest live version the caller checked compatibility against (0: none;
    // negative: nothing was checked, any will do). Another writer's new version in between
    // fails the registration with VersionExists, and the caller checks again.
    int64_t expected_latest = 0;
};

// RegisteredVersion: what a registration did.
struct RegisteredVersion {
    SubjectVersion version;
    bool existed = false;  // the subject already had a live version with this schema
};

// SubjectListing: a subject and whether any of its versions is live.
struct SubjectListing {
    std::string subject;
    bool live = false;
};

// SubjectSetting: the two settings a subject (or, with subject "", the registry) can have.
enum class SubjectSetting { Compatibility, Mode };

}  // namespace spoke
