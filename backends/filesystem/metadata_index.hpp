#pragma once
// MetadataIndex: every module and version record (without contents) and the reverse dependency
// edges, answering the index queries in memory. Not synchronized: its owner locks.

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

class MetadataIndex {
  public:
    bool has_module(std::string_view name) const;
    // Adds a module with its versions (sorted once); false if the name is taken. The module's
    // derived fields (latest, count, updated_at from the newest push) are computed here.
    bool add_module(Module module, std::vector<VersionRecord> versions = {});
    // Adds one version to a known module; false if the module is unknown or the version taken.
    bool add_version(VersionRecord record);
    // Sets a module's compatibility level and moves its updated_at to at least `at`; false if
    // the module is unknown.
    bool set_compatibility(std::string_view name, std::string level, TimestampMs at);

    Result<Module> module(std::string_view name) const;
    ModulePage list_modules(const ModuleQuery& query) const;
    // Newest first. NotFound if the module does not exist.
    Result<std::vector<VersionRecord>> versions(std::string_view module) const;
    // Resolves "latest" and either spelling of a version. NotFound names what is missing. The
    // pointer is valid until the next add.
    Result<const VersionRecord*> find(std::string_view module, std::string_view version) const;
    // Dependency-first closure of `roots`; UnknownDependency names the first missing ref.
    Result<std::vector<VersionRecord>> closure(const std::vector<VersionRef>& roots) const;
    // Direct dependents of `ref` (which may say "latest"), by module then semver precedence.
    Result<std::vector<VersionRef>> dependents(const VersionRef& ref) const;

    // Identity of a version across spellings: "module@version_key".
    static std::string identity(std::string_view module, std::string_view version);

  private:
    struct Entry {
        Module module;
        std::vector<VersionRecord> newest_first;
        std::unordered_map<std::string, size_t> by_key;  // version_key -> index in newest_first
    };
    void reindex(Entry& entry);
    void add_reverse_edges(const VersionRecord& record);

    std::map<std::string, Entry, std::less<>> modules_;
    // identity of a dependency -> versions that depend on it directly.
    std::unordered_map<std::string, std::vector<VersionRef>> dependents_;
};

}  // namespace spoke
