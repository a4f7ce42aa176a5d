#pragma once
// CompatibilityService: a module's compatibility level, the checks of one version against others
// (an explicit pair, a stored version against its predecessors as the push gate does, a pushed
// version against what is stored) and the diff between two versions.
// CompatPairQuery, CompatVersionQuery, DiffQuery: the typed inputs. SchemaDiff: a diff's answer.

#include <optional>
#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_diff.hpp"
#include "services/compat_check.hpp"
#include "services/descriptor_service.hpp"
#include "services/service_env.hpp"

namespace spoke {

struct CompatPairQuery {
    std::string module;
    std::string old_version;  // any spelling, or "latest"
    std::string new_version;
    std::optional<CompatMode> mode;  // absent: the module's level
    LifetimeGuard wanted;
};

struct CompatVersionQuery {
    std::string module;
    std::string version;             // any spelling, or "latest"
    std::optional<CompatMode> mode;  // absent: the module's level
    LifetimeGuard wanted;
};

struct DiffQuery {
    std::string module;
    std::string from_version;
    std::string to_version;
    LifetimeGuard wanted;
};

struct SchemaDiff {
    std::string from_version;  // as stored
    std::string to_version;
    std::vector<SchemaChange> changes;
};

// Completions run later on env.loop, never inside the call.
class CompatibilityService {
  public:
    CompatibilityService(const ServiceEnv& env, const DescriptorService& descriptors)
        : env_(env), descriptors_(descriptors) {}

    // The module's stored level (its name, one of the seven).
    void level(std::string module, Completion<std::string> done) const;
    void set_level(std::string module, CompatMode level, Completion<std::string> done) const;

    // The new version against the old one: one check, also under a transitive mode.
    void check_pair(CompatPairQuery query, Completion<CompatOutcome> done) const;
    // A stored version against the versions before it, as the push gate checked it.
    void check_version(CompatVersionQuery query, Completion<CompatOutcome> done) const;
    // The changes from one stored version to another.
    void diff(DiffQuery query, Completion<SchemaDiff> done) const;

    // `newer` (compiled with source info) against stored `older` (nearest first) under `mode`:
    // the push gate, and the last step of the checks above.
    void check_against(CompatMode mode, CompiledVersion newer, std::vector<VersionRecord> older,
                       bool against_several, LifetimeGuard wanted,
                       Completion<CompatOutcome> done) const;

  private:
    // The module's level, or `mode` when given; Internal for a damaged stored level.
    void effective_mode(std::string module, std::optional<CompatMode> mode,
                        Completion<std::pair<std::string, CompatMode>> done) const;
    // Stored `newer` against stored `older`.
    void check_stored(CompatMode mode, VersionRecord newer, std::vector<VersionRecord> older,
                      bool against_several, LifetimeGuard wanted,
                      Completion<CompatOutcome> done) const;

    const ServiceEnv& env_;
    const DescriptorService& descriptors_;
};

}  // namespace spoke
