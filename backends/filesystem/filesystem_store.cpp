#include "backends/filesystem/filesystem_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "backends/filesystem/durable_files.hpp"
#include "backends/filesystem/record_json.hpp"
#include "backends/storage.hpp"
#include "backends/storage_errors.hpp"
#include "reactor/log.hpp"
#include "registry/digest.hpp"
#include "registry/names.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

constexpr const char* kModuleFile = "module.json";
constexpr const char* kVersionFile = "version.json";

// Details name paths, so they go to the operator's log; users get a generic Internal.
void log_detail(std::string_view what, std::string_view detail) {
    Log::write(LogLevel::Warn, "filesystem storage", {{"what", what}, {"detail", detail}});
}

TimestampMs now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The directory name of a version: its key, which must itself be a valid version name, so no
// stored name can climb out of its directory.
bool is_version_key(std::string_view key) {
    return !key.empty() && key[0] != 'v' && validate_version_name(key).ok();
}

// Every name that becomes a path component is checked, whatever the caller did.
Status check_record_names(const VersionRecord& r) {
    if (auto s = validate_module_name(r.module_name); !s) return s;
    if (auto s = validate_version_name(r.version); !s) return s;
    for (const auto& f : r.files) {
        if (auto s = validate_file_path(f.path); !s) return s;
    }
    return ok_status();
}

Result<VersionRecord> read_record(const std::string& dir, std::string& detail, int& err) {
    std::string text;
    auto io = fsio::read_file(fsio::join(dir, kVersionFile), text);
    if (!io.ok()) {
        err = io.error;
        detail = io.detail;
        return Error::internal("stored version could not be read");
    }
    err = 0;
    auto record = fsjson::decode_version(text);
    if (!record) detail = record.error().message;
    return record;
}

}  // namespace

FilesystemStore::FilesystemStore(Passkey, std::string root, size_t cache_bytes)
    : root_(std::move(root)),
      modules_dir_(fsio::join(root_, "modules")),
      staging_dir_(fsio::join(root_, "staging")),
      artifacts_dir_(fsio::join(root_, "artifacts")),
      cache_(cache_bytes) {}

Result<std::unique_ptr<FilesystemStore>> FilesystemStore::open(std::string root,
                                                               size_t cache_bytes) {
    if (root.empty()) return Error::internal("filesystem storage root is empty");
    try {
        auto store = std::make_unique<FilesystemStore>(Passkey{}, std::move(root), cache_bytes);
        if (auto s = store->prepare_root(); !s) return std::move(s).error();
        store->load_index();
        return store;
    } catch (const std::exception& e) {
        return Error::internal(std::string("could not open the filesystem storage: ") + e.what());
    }
}

Status FilesystemStore::prepare_root() {
    auto unusable = [this](const std::string& why) {
        return Error::internal("filesystem storage root " + quote_value(root_) +
                               " is not a writable directory: " + why);
    };
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) return unusable(ec.message());
    for (const auto& dir : {modules_dir_, staging_dir_, artifacts_dir_}) {
        if (auto io = fsio::make_dir(dir, true); !io.ok()) return unusable(std::strerror(io.error));
    }
    // Whatever is in staging/ was never renamed into place: an interrupted write.
    for (const auto& entry : std::filesystem::directory_iterator(staging_dir_, ec)) {
        std::string detail;
        if (!fsio::remove_tree(entry.path().string(), &detail)) {
            log_detail("could not remove a staging leftover", detail);
        }
    }
    if (ec) return unusable(ec.message());
    auto io = fsio::probe_write(fsio::join(staging_dir_, fsio::unique_name("probe-")));
    if (!io.ok()) return unusable(std::strerror(io.error));
    return ok_status();
}

void FilesystemStore::load_index() {
    std::error_code ec;
    std::unique_lock lock(index_mutex_);
    for (const auto& mod : std::filesystem::directory_iterator(modules_dir_, ec)) {
        const std::string name = mod.path().filename().string();
        const std::string dir = mod.path().string();
        if (!validate_module_name(name).ok() || !mod.is_directory()) {
            log_detail("ignoring an entry that is not a module", dir);
            continue;
        }
        std::string text;
        auto io = fsio::read_file(fsio::join(dir, kModuleFile), text);
        if (!io.ok()) {
            log_detail("ignoring an unreadable module", io.detail);
            continue;
        }
        auto module = fsjson::decode_module(text);
        if (!module || module->name != name) {
            log_detail("ignoring a module with a malformed module.json", dir);
            continue;
        }

        std::vector<VersionRecord> versions;
        std::error_code vec;
        for (const auto& ver :
             std::filesystem::directory_iterator(fsio::join(dir, "versions"), vec)) {
            const std::string key = ver.path().filename().string();
            const std::string vdir = ver.path().string();
            if (!is_version_key(key) || !ver.is_directory()) {
                log_detail("ignoring an entry that is not a version", vdir);
                continue;
            }
            std::string detail;
            int err = 0;
            auto record = read_record(vdir, detail, err);
            if (!record) {
                log_detail("ignoring an unreadable version", detail + " (" + vdir + ")");
                continue;
            }
            if (record->module_name != name || version_key(record->version) != key ||
                !check_record_names(*record).ok()) {
                log_detail("ignoring a version whose record does not match its place", vdir);
                continue;
            }
            versions.push_back(std::move(record).value());
        }
        if (vec) log_detail("could not list versions", dir + ": " + vec.message());
        index_.add_module(std::move(module).value(), std::move(versions));
    }
    if (ec) log_detail("could not list modules", modules_dir_ + ": " + ec.message());
}

std::string FilesystemStore::module_dir(std::string_view name) const {
    return fsio::join(modules_dir_, name);
}

std::string FilesystemStore::version_dir(std::string_view module, std::string_view key) const {
    return fsio::join(fsio::join(module_dir(module), "versions"), key);
}

Result<Module> FilesystemStore::get_module(std::string_view name) const {
    std::shared_lock lock(index_mutex_);
    return index_.module(name);
}

ModulePage FilesystemStore::list_modules(const ModuleQuery& query) const {
    std::shared_lock lock(index_mutex_);
    return index_.list_modules(query);
}

Result<std::vector<VersionRecord>> FilesystemStore::list_versions(std::string_view module) const {
    std::shared_lock lock(index_mutex_);
    return index_.versions(module);
}

Result<VersionRecord> FilesystemStore::find_version(std::string_view module,
                                                    std::string_view version) const {
    std::shared_lock lock(index_mutex_);
    auto found = index_.find(module, version);
    if (!found) return std::move(found).error();
    return **found;
}

Result<std::vector<VersionRecord>> FilesystemStore::dependency_closure(
    const std::vector<VersionRef>& roots) const {
    std::shared_lock lock(index_mutex_);
    return index_.closure(roots);
}

Result<std::vector<VersionRef>> FilesystemStore::list_dependents(const VersionRef& ref) const {
    std::shared_lock lock(index_mutex_);
    return index_.dependents(ref);
}

Result<VersionSnapshotPtr> FilesystemStore::cached_version(std::string_view module,
                                                           std::string_view version) const {
    std::string id;
    {
        std::shared_lock lock(index_mutex_);
        auto found = index_.find(module, version);
        if (!found) return std::move(found).error();
        id = MetadataIndex::identity((*found)->module_name, (*found)->version);
    }
    return cache_.get(id);
}

Result<Module> FilesystemStore::create_module(const std::string& name,
                                              const std::string& description) {
    if (auto s = validate_module_name(name); !s) return std::move(s).error();
    auto exists = [&] { return storage_errors::module_exists(name); };
    {
        std::shared_lock lock(index_mutex_);
        if (index_.has_module(name)) return exists();
    }
    const TimestampMs now = now_ms();
    Module module{name, description, now, now, std::nullopt, 0};
    auto json = fsjson::encode_module(module);
    if (!json) return std::move(json).error();

    const Error failed = Error::internal("the module could not be stored");
    const std::string stage = fsio::join(staging_dir_, fsio::unique_name("m-"));
    const std::string versions = fsio::join(stage, "versions");
    fsio::IoResult io = fsio::make_dir(stage);
    if (io.ok()) io = fsio::write_file_synced(fsio::join(stage, kModuleFile), *json);
    if (io.ok()) io = fsio::make_dir(versions);
    if (io.ok()) io = fsio::fsync_dir(versions);
    if (io.ok()) io = fsio::fsync_dir(stage);
    if (io.ok()) io = fsio::rename_path(stage, module_dir(name));
    if (!io.ok()) {
        fsio::remove_tree(stage);
        if (io.error == EEXIST || io.error == ENOTEMPTY) return exists();
        log_detail("create module", io.detail);
        return failed;
    }
    if (auto sync = fsio::fsync_dir(modules_dir_); !sync.ok())
        log_detail("create module", sync.detail);

    std::unique_lock lock(index_mutex_);
    index_.add_module(module);
    return index_.module(name);
}

Result<Module> FilesystemStore::set_compatibility(const std::string& name,
                                                  const std::string& level) {
    // Serialized with persist_module, which rewrites module.json from the index: holding the
    // lock until the index has the new level means no rewrite can bring the old one back.
    std::lock_guard serial(module_json_mutex_);
    // Only indexed (so validated) names get this far: the name is safe as a path component.
    Result<Module> current = get_module(name);
    if (!current) return current;
    Module updated = std::move(current).value();
    updated.compatibility = level;
    updated.updated_at = std::max(updated.updated_at, now_ms());
    auto json = fsjson::encode_module(updated);
    if (!json) return std::move(json).error();

    const Error failed = Error::internal("the module's compatibility level could not be stored");
    const std::string tmp = fsio::join(staging_dir_, fsio::unique_name("mc-"));
    const std::string dir = module_dir(name);
    fsio::IoResult io = fsio::write_file_synced(tmp, *json);
    if (io.ok()) io = fsio::rename_path(tmp, fsio::join(dir, kModuleFile));
    if (!io.ok()) {
        fsio::remove_tree(tmp);
        log_detail("set compatibility", io.detail);
        return failed;
    }
    // Renamed: the new level is what a restart may read, so the index follows it even if the
    // directory sync fails (that failure still answers an error: it may not be durable).
    {
        std::unique_lock lock(index_mutex_);
        index_.set_compatibility(name, level, updated.updated_at);
    }
    if (auto sync = fsio::fsync_dir(dir); !sync.ok()) {
        log_detail("set compatibility", sync.detail);
        return failed;
    }
    return get_module(name);
}

Result<VersionSnapshotPtr> FilesystemStore::get_version(std::string_view module,
                                                        std::string_view version) {
    auto record = find_version(module, version);
    if (!record) return std::move(record).error();
    if (auto hit = cache_.get(MetadataIndex::identity(record->module_name, record->version))) {
        return hit;
    }
    return read_snapshot(*record);
}

Result<std::vector<VersionSnapshotPtr>> FilesystemStore::load_versions(
    const std::vector<VersionRef>& refs) {
    std::vector<VersionSnapshotPtr> out;
    out.reserve(refs.size());
    for (const auto& ref : refs) {
        auto snapshot = get_version(ref.module, ref.version);
        if (!snapshot) return std::move(snapshot).error();
        out.push_back(std::move(snapshot).value());
    }
    return out;
}

Result<VersionSnapshotPtr> FilesystemStore::read_snapshot(const VersionRecord& record) {
    const std::string files_dir =
        fsio::join(version_dir(record.module_name, version_key(record.version)), "files");
    auto snapshot = std::make_shared<VersionSnapshot>();
    snapshot->record = record;
    snapshot->files.reserve(record.files.size());
    for (const auto& entry : record.files) {
        std::string content;
        auto io = fsio::read_file(fsio::join(files_dir, entry.path), content);
        if (!io.ok()) {
            log_detail("read version file", io.detail);
            return Error::internal("a stored file could not be read");
        }
        if (content.size() != entry.size || sha256_hex(content) != entry.sha256) {
            log_detail("stored file does not match its digest", fsio::join(files_dir, entry.path));
            return Error::internal("a stored file is corrupt");
        }
        snapshot->files.push_back(ProtoFile{entry.path, std::move(content)});
    }
    VersionSnapshotPtr shared = std::move(snapshot);
    cache_.put(MetadataIndex::identity(record.module_name, record.version), shared);
    return shared;
}

Result<PutVersionResult> FilesystemStore::settle_existing(const VersionRecord& existing,
                                                          const VersionDraft& draft) const {
    if (existing.digest == draft.record.digest) {
        return PutVersionResult{PutOutcome::Identical, existing};
    }
    return storage_errors::version_exists(existing);
}

Result<PutVersionResult> FilesystemStore::put_version(const VersionDraft& draft) {
    const VersionRecord& record = draft.record;
    if (auto s = check_record_names(record); !s) return std::move(s).error();
    if (draft.files.size() != record.files.size()) {
        return Error::internal("version draft files do not match its record");
    }
    for (size_t i = 0; i < draft.files.size(); ++i) {
        if (draft.files[i].path != record.files[i].path) {
            return Error::internal("version draft files do not match its record");
        }
    }
    const std::string key = version_key(record.version);
    {
        std::shared_lock lock(index_mutex_);
        if (!index_.has_module(record.module_name)) {
            return storage_errors::module_missing(record.module_name);
        }
        if (auto found = index_.find(record.module_name, key))
            return settle_existing(**found, draft);
    }

    const Error failed = Error::internal("the version could not be stored");
    auto json = fsjson::encode_version(record);
    if (!json) return std::move(json).error();

    // Build the whole version under staging/, durable, before it gets its public name.
    const std::string stage = fsio::join(staging_dir_, fsio::unique_name("v-"));
    const std::string files_root = fsio::join(stage, "files");
    std::set<std::string> dirs{stage, files_root};
    fsio::IoResult io = fsio::make_dir(stage);
    if (io.ok()) io = fsio::write_file_synced(fsio::join(stage, kVersionFile), *json);
    if (io.ok()) io = fsio::make_dir(files_root);
    for (size_t i = 0; io.ok() && i < draft.files.size(); ++i) {
        const std::string& path = draft.files[i].path;
        for (size_t slash = path.find('/'); io.ok() && slash != std::string::npos;
             slash = path.find('/', slash + 1)) {
            std::string dir = fsio::join(files_root, path.substr(0, slash));
            if (dirs.insert(dir).second) io = fsio::make_dir(dir);
        }
        if (io.ok())
            io = fsio::write_file_synced(fsio::join(files_root, path), draft.files[i].content);
    }
    for (auto it = dirs.rbegin(); io.ok() && it != dirs.rend(); ++it) io = fsio::fsync_dir(*it);
    if (!io.ok()) {
        fsio::remove_tree(stage);
        log_detail("stage version", io.detail);
        return failed;
    }

    const std::string target = version_dir(record.module_name, key);
    for (int attempt = 0; attempt < 2; ++attempt) {
        io = fsio::rename_path(stage, target);
        if (io.ok()) break;
        if (io.error != EEXIST && io.error != ENOTEMPTY) break;
        // Another push of this version won the rename; its directory is complete.
        std::string detail;
        int err = 0;
        auto existing = read_record(target, detail, err);
        if (existing) {
            fsio::remove_tree(stage);
            // The winner may not have synced the rename yet: our 200 must not come before it.
            if (auto sync = fsio::fsync_dir(fsio::join(module_dir(record.module_name), "versions"));
                !sync.ok()) {
                log_detail("sync the versions directory", sync.detail);
                return failed;
            }
            {
                std::unique_lock lock(index_mutex_);
                index_.add_version(existing.value());
            }
            return settle_existing(*existing, draft);
        }
        if (err != ENOENT || attempt > 0) {
            fsio::remove_tree(stage);
            log_detail("read the existing version", detail);
            return failed;
        }
        // A directory without version.json was never renamed into place by this store: move
        // the torn remains aside and take the name.
        log_detail("replacing a torn version directory", target);
        const std::string aside = fsio::join(staging_dir_, fsio::unique_name("torn-"));
        if (fsio::rename_path(target, aside).ok()) fsio::remove_tree(aside);
    }
    if (!io.ok()) {
        fsio::remove_tree(stage);
        log_detail("publish version", io.detail);
        return failed;
    }
    if (auto sync = fsio::fsync_dir(fsio::join(module_dir(record.module_name), "versions"));
        !sync.ok()) {
        // Visible but maybe not durable: no 201 for it. A retry finds it and answers 200 once
        // the disk is healthy again.
        log_detail("publish version", sync.detail);
        return failed;
    }

    VersionRecord stored = record;
    {
        std::unique_lock lock(index_mutex_);
        index_.add_version(record);
    }
    persist_module(record.module_name);
    cache_.put(MetadataIndex::identity(record.module_name, record.version),
               std::make_shared<const VersionSnapshot>(VersionSnapshot{record, draft.files}));
    return PutVersionResult{PutOutcome::Created, std::move(stored)};
}

void FilesystemStore::persist_module(const std::string& name) {
    // Serialized, so an older updated_at never replaces a newer one.
    std::lock_guard serial(module_json_mutex_);
    Result<Module> module = get_module(name);
    if (!module) return;
    auto json = fsjson::encode_module(*module);
    if (!json) return;
    const std::string tmp = fsio::join(staging_dir_, fsio::unique_name("mj-"));
    const std::string dir = module_dir(name);
    fsio::IoResult io = fsio::write_file_synced(tmp, *json);
    if (io.ok()) io = fsio::rename_path(tmp, fsio::join(dir, kModuleFile));
    if (io.ok()) io = fsio::fsync_dir(dir);
    if (!io.ok()) {
        // The version is stored; updated_at is also derived from versions at open.
        fsio::remove_tree(tmp);
        log_detail("update module.json", io.detail);
    }
}

Status FilesystemStore::put_artifact(const std::string& key, std::string_view bytes) {
    if (!is_artifact_key(key)) return Error::bad_request("malformed artifact key");
    const std::string dir = fsio::join(artifacts_dir_, key.substr(0, 2));
    const std::string target = fsio::join(dir, key);
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return ok_status();

    const Error failed = Error::internal("the code generation artifact could not be stored");
    // A new fan-out directory's name must be durable before a file inside it can be.
    if (::stat(dir.c_str(), &st) != 0) {
        fsio::IoResult io = fsio::make_dir(dir, true);
        if (io.ok()) io = fsio::fsync_dir(artifacts_dir_);
        if (!io.ok()) {
            log_detail("store artifact", io.detail);
            return failed;
        }
    }
    const std::string tmp = fsio::join(staging_dir_, fsio::unique_name("a-"));
    fsio::IoResult io = fsio::write_file_synced(tmp, bytes);
    // Concurrent writers of one key rename identical bytes over each other: either one wins.
    if (io.ok()) io = fsio::rename_path(tmp, target);
    if (io.ok()) io = fsio::fsync_dir(dir);
    if (!io.ok()) {
        fsio::remove_tree(tmp);
        log_detail("store artifact", io.detail);
        return failed;
    }
    return ok_status();
}

Result<std::optional<std::string>> FilesystemStore::get_artifact(const std::string& key) const {
    if (!is_artifact_key(key)) return Error::bad_request("malformed artifact key");
    std::string bytes;
    const fsio::IoResult io =
        fsio::read_file(fsio::join(fsio::join(artifacts_dir_, key.substr(0, 2)), key), bytes);
    if (io.error == ENOENT) return std::optional<std::string>();
    if (!io.ok()) {
        log_detail("read artifact", io.detail);
        return Error::internal("a stored code generation artifact could not be read");
    }
    return std::optional<std::string>(std::move(bytes));
}

Status FilesystemStore::probe() const {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        log_detail("health probe", root_ + ": " + std::strerror(errno));
        return Error::unavailable("storage root is not reachable");
    }
    auto io = fsio::probe_write(fsio::join(staging_dir_, fsio::unique_name("probe-")));
    if (!io.ok()) {
        log_detail("health probe", io.detail);
        return Error::unavailable("storage is not writable");
    }
    return ok_status();
}

}  // namespace spoke
