#pragma once
// SchemaRegistration: the Confluent dialect's writes and checks of schema content — register a
// schema under a subject, look one up by content, check one against a subject's versions, and
// serve a stored one as its FileDescriptorProto. The same compiler and compatibility checker as
// the module API (services/compat_check.hpp).
// SchemaInput: a schema as a request gives it. RegisterQuery, LookupQuery, CompatQuery: typed
// inputs. CompatAnswer: a check's verdict with one message per finding.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "registry/compat/compatibility.hpp"
#include "registry/confluent/subject_model.hpp"
#include "services/confluent/schema_compiler.hpp"
#include "services/confluent/subject_service.hpp"
#include "services/service_env.hpp"

namespace spoke {

struct SchemaInput {
    std::string schema_type = "PROTOBUF";
    std::string text;
    std::vector<SchemaReference> references;
    // False when the body had no "references": a lookup then matches on the text alone, as
    // clients that resolve references themselves send none.
    bool references_given = false;
};

struct RegisterQuery {
    std::string subject;
    SchemaInput schema;
    bool normalize = false;  // store the canonical reprint (normalized_schema_text)
    LifetimeGuard wanted;
};

struct LookupQuery {
    std::string subject;
    SchemaInput schema;
    bool deleted = false;    // soft-deleted versions match too
    bool normalize = false;  // compare the canonical reprint
    LifetimeGuard wanted;
};

struct CompatQuery {
    std::string subject;
    std::optional<int64_t> version;  // 0: latest; nullopt: the versions the level checks
    SchemaInput schema;
    LifetimeGuard wanted;
};

struct CompatAnswer {
    bool compatible = true;
    std::vector<std::string> messages;  // "[error] RULE_ID: sentence (version N)"
};

class SchemaRegistration {
  public:
    SchemaRegistration(const ServiceEnv& env, SubjectService& subjects)
        : env_(env), subjects_(subjects), compiler_(env) {}

    // The schema's id under `subject`: an existing live version's when one holds the same
    // content, else a new version after the compatibility check. 409, 42201, 42205, 42208.
    void register_schema(RegisterQuery query, Completion<int64_t> done) const;
    // The version of `subject` holding this content. 40401, 40403.
    void lookup(LookupQuery query, Completion<SubjectSchema> done) const;
    void check(CompatQuery query, Completion<CompatAnswer> done) const;
    // Schema `schema` as the base64 of its root FileDescriptorProto, compiled under the root
    // path of `subject` (empty: of the first subject holding it).
    void serialized(std::string subject, StoredSchema schema, LifetimeGuard wanted,
                    Completion<std::string> done) const;

  private:
    struct Registration;
    struct Comparison;
    void attempt(std::unique_ptr<Registration> job) const;
    void serialize_under(std::string root, StoredSchema schema, LifetimeGuard wanted,
                         Completion<std::string> done) const;
    void store(std::unique_ptr<Registration> job, int64_t expected_latest) const;
    // `newer` against `older` (newest first) at `level`, compiling each older schema.
    void compare(std::unique_ptr<Comparison> job) const;
    // The check once the submitted schema compiled.
    void check_compiled(CompatQuery query, CompiledSetPtr newer,
                        Completion<CompatAnswer> done) const;
    // The lookup once the text to compare is known.
    void find_by_content(LookupQuery query, Completion<SubjectSchema> done) const;
    // Lookup of a body without references: the newest candidate with the same type and text.
    void match_text(LookupQuery query, std::vector<SubjectVersion> candidates, size_t next,
                    Completion<SubjectSchema> done) const;
    const ServiceEnv& env_;
    SubjectService& subjects_;
    SchemaCompiler compiler_;
};

}  // namespace spoke
