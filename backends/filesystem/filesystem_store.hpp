#pragma once
// FilesystemStore: the synchronous, thread-safe, crash-safe registry store on a local directory,
// with an in-memory metadata index and a byte-bounded cache of version contents.
//
// Layout under the root:
//   modules/{name}/module.json
//   modules/{name}/versions/{version_key}/version.json
//   modules/{name}/versions/{version_key}/files/{path}
//   artifacts/{first 2 hex}/{key}   (code generation archives, content-addressed)
//   staging/   (directories and files being built; renamed into place when complete)

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backends/filesystem/metadata_index.hpp"
#include "backends/snapshot_cache.hpp"
#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

class FilesystemStore {
  public:
    // Creates the root if missing, removes leftovers in staging/, loads every readable record.
    // Fails (naming the root: for the operator, not for users) if the root is not writable.
    static Result<std::unique_ptr<FilesystemStore>> open(std::string root, size_t cache_bytes);

    // Only open() can make one (the passkey keeps the constructor usable by make_unique).
    class Passkey {
        friend class FilesystemStore;
        Passkey() = default;
    };
    FilesystemStore(Passkey, std::string root, size_t cache_bytes);
    FilesystemStore(const FilesystemStore&) = delete;
    FilesystemStore& operator=(const FilesystemStore&) = delete;

    // Index reads: memory only.
    Result<Module> get_module(std::string_view name) const;
    ModulePage list_modules(const ModuleQuery& query) const;
    Result<std::vector<VersionRecord>> list_versions(std::string_view module) const;
    Result<VersionRecord> find_version(std::string_view module, std::string_view version) const;
    Result<std::vector<VersionRecord>> dependency_closure(
        const std::vector<VersionRef>& roots) const;
    Result<std::vector<VersionRef>> list_dependents(const VersionRef& ref) const;
    // The snapshot if cached, null if it must be read from disk; NotFound if it does not exist.
    Result<VersionSnapshotPtr> cached_version(std::string_view module,
                                              std::string_view version) const;

    // May touch the disk.
    Result<Module> create_module(const std::string& name, const std::string& description);
    // Rewrites module.json durably (staged, synced, renamed, directory synced), then the index.
    Result<Module> set_compatibility(const std::string& name, const std::string& level);
    Result<VersionSnapshotPtr> get_version(std::string_view module, std::string_view version);
    Result<std::vector<VersionSnapshotPtr>> load_versions(const std::vector<VersionRef>& refs);
    Result<PutVersionResult> put_version(const VersionDraft& draft);
    // Stores `bytes` under artifacts/ durably (staged, synced, renamed, directory synced); an
    // existing artifact is left as it is (same key, same bytes). BadRequest for a bad key.
    Status put_artifact(const std::string& key, std::string_view bytes);
    // The artifact's bytes, nullopt when absent.
    Result<std::optional<std::string>> get_artifact(const std::string& key) const;
    // Readiness: the root answers and staging/ takes a new file.
    Status probe() const;

    const SnapshotCache& cache() const { return cache_; }

  private:
    Status prepare_root();
    void load_index();
    Result<VersionSnapshotPtr> read_snapshot(const VersionRecord& record);
    Result<PutVersionResult> settle_existing(const VersionRecord& existing,
                                             const VersionDraft& draft) const;
    void persist_module(const std::string& name);

    std::string module_dir(std::string_view name) const;
    std::string version_dir(std::string_view module, std::string_view key) const;

    const std::string root_;
    const std::string modules_dir_;
    const std::string staging_dir_;
    const std::string artifacts_dir_;
    mutable std::shared_mutex index_mutex_;
    MetadataIndex index_;           // guarded by index_mutex_
    mutable SnapshotCache cache_;   // internally synchronized
    std::mutex module_json_mutex_;  // serializes rewrites of module.json (and their index update)
};

}  // namespace spoke
