#pragma once
// SchemaCompiler: turns a Confluent schema into a compiled FileDescriptorSet. Its references are
// resolved (recursively) through the SubjectStore into .proto files at their import paths, then
// everything is linked on the worker pool like a module version with its dependencies. Stored
// schemas' sets are kept in the process-wide DescriptorCache under their id.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "registry/confluent/subject_model.hpp"
#include "registry/model.hpp"
#include "services/service_env.hpp"

namespace spoke {

using CompiledSetPtr = std::shared_ptr<const std::string>;

class SchemaCompiler {
  public:
    explicit SchemaCompiler(const ServiceEnv& env) : env_(env) {}

    // `schema` linked as `root_path` (schema_root_path) with source info. A stored schema (id
    // > 0) is looked up in and kept in the cache. Errors: 42201 for parse, link and reference
    // errors (confluent_errors), Unavailable, Internal.
    void compile(std::string root_path, StoredSchema schema, LifetimeGuard wanted,
                 Completion<CompiledSetPtr> done) const;
    // The root file of `set` reprinted canonically (normalized_schema_text), on the pool.
    void normalize(std::string root_path, CompiledSetPtr set, LifetimeGuard wanted,
                   Completion<std::string> done) const;
    // Keeps a newly stored schema's set, so the next registration's check finds it.
    void remember(std::string_view root_path, int64_t id, CompiledSetPtr set) const;
    // The files `references` name, each import path once, theirs included. 42201 naming the
    // reference that does not resolve.
    void resolve_references(std::vector<SchemaReference> references,
                            Completion<std::vector<ProtoFile>> done) const;

  private:
    const ServiceEnv& env_;
};

}  // namespace spoke
