#pragma once
// DescriptorService: compiled descriptor sets of stored versions as typed data, cached once (the
// DescriptorCache) for the descriptor route, the push (which seeds it) and the compatibility
// checks. DescriptorQuery: which set a caller wants and whether it still waits for it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "services/compat_check.hpp"
#include "services/descriptor_cache.hpp"
#include "services/service_env.hpp"
#include "services/version_reader.hpp"

namespace spoke {

struct DescriptorQuery {
    std::string module;
    std::string version;  // any spelling, or "latest"
    bool source_info = false;
    LifetimeGuard wanted;  // ended: the caller no longer waits (queued compiles are skipped)
};

// Completions run later on env.loop, never inside the call.
class DescriptorService {
  public:
    DescriptorService(const ServiceEnv& env, const VersionReader& reader)
        : env_(env), reader_(reader) {}

    // The hot path: the set the descriptor route serves (with source info: on every file, the
    // well-known types too), cached under exactly this spelling, or nullptr. No storage, no
    // compile.
    DescriptorSetPtr cached(std::string_view module, std::string_view version,
                            bool source_info) const {
        return env_.descriptors.find(module, version,
                                     source_info ? SetDetail::Served : SetDetail::Plain);
    }

    // The set the descriptor route serves: cached, or loaded with its closure and compiled
    // (compile work, admitted; with source info, the well-known types' added on the pool too),
    // then cached under the stored and the requested spelling. A stored version that no longer
    // compiles is Internal.
    void get(DescriptorQuery query, Completion<DescriptorSetPtr> done) const;

    // Sets with source info of stored versions, in the order given (what compatibility checks
    // take); cached ones are reused, the others compiled and cached.
    void with_source_info(std::vector<VersionRecord> records, LifetimeGuard wanted,
                          Completion<std::vector<CompiledVersion>> done) const;

    // Keeps a set the push compiled for the version it stored (Plain or SourceInfo).
    void remember(const VersionRecord& stored, SetDetail detail,
                  std::shared_ptr<const std::string> bytes) const;

  private:
    // A loaded version's set as compiles give it (Plain or SourceInfo): cached, or compiled.
    void compiled(VersionSnapshotPtr root, bool source_info, LifetimeGuard wanted,
                  Completion<DescriptorSetPtr> done) const;
    // Compiles a loaded version and caches the set under its stored spelling; compile errors as
    // the compiler gave them.
    void compile(VersionClosure closure, bool source_info, LifetimeGuard wanted,
                 Completion<DescriptorSetPtr> done) const;
    // A SourceInfo set with the well-known types' source info added (on the pool).
    void serve_with_well_known(DescriptorSetPtr set, LifetimeGuard wanted,
                               Completion<DescriptorSetPtr> done) const;

    const ServiceEnv& env_;
    const VersionReader& reader_;
};

}  // namespace spoke
