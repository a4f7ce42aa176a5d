#include "backends/filesystem/metadata_index.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "backends/storage_errors.hpp"
#include "registry/semver.hpp"
#include "registry/version_graph.hpp"

namespace spoke {

std::string MetadataIndex::identity(std::string_view module, std::string_view version) {
    return version_identity(module, version);
}

bool MetadataIndex::has_module(std::string_view name) const {
    return modules_.contains(name);
}

bool MetadataIndex::add_module(Module module, std::vector<VersionRecord> versions) {
    if (modules_.contains(module.name)) return false;
    std::string name = module.name;
    Entry entry{std::move(module), {}, {}};
    for (auto& v : versions) {
        if (entry.by_key.contains(version_key(v.version))) continue;
        entry.by_key.emplace(version_key(v.version), 0);
        add_reverse_edges(v);
        entry.newest_first.push_back(std::move(v));
    }
    reindex(entry);
    modules_.emplace(std::move(name), std::move(entry));
    return true;
}

bool MetadataIndex::add_version(VersionRecord record) {
    auto it = modules_.find(record.module_name);
    if (it == modules_.end()) return false;
    Entry& entry = it->second;
    if (entry.by_key.contains(version_key(record.version))) return false;
    add_reverse_edges(record);
    entry.newest_first.push_back(std::move(record));
    reindex(entry);
    return true;
}

bool MetadataIndex::set_compatibility(std::string_view name, std::string level, TimestampMs at) {
    auto it = modules_.find(name);
    if (it == modules_.end()) return false;
    Module& module = it->second.module;
    module.compatibility = std::move(level);
    module.updated_at = std::max(module.updated_at, at);
    return true;
}

void MetadataIndex::reindex(Entry& entry) {
    sort_newest_first(entry.newest_first);
    entry.by_key.clear();
    for (size_t i = 0; i < entry.newest_first.size(); ++i) {
        entry.by_key.emplace(version_key(entry.newest_first[i].version), i);
        entry.module.updated_at =
            std::max(entry.module.updated_at, entry.newest_first[i].created_at);
    }
    entry.module.version_count = entry.newest_first.size();
    auto latest = select_latest(entry.newest_first);
    entry.module.latest_version =
        latest ? std::optional<std::string>(entry.newest_first[*latest].version) : std::nullopt;
}

void MetadataIndex::add_reverse_edges(const VersionRecord& record) {
    for (const auto& dep : record.dependencies) {
        auto ref = split_stored_ref(dep);
        if (!ref) continue;
        dependents_[identity(ref->module, ref->version)].push_back(
            VersionRef{record.module_name, record.version});
    }
}

Result<Module> MetadataIndex::module(std::string_view name) const {
    auto it = modules_.find(name);
    if (it == modules_.end()) return storage_errors::module_missing(name);
    return it->second.module;
}

ModulePage MetadataIndex::list_modules(const ModuleQuery& query) const {
    ModulePage page;
    uint64_t total = 0;
    uint64_t skipped = 0;
    for (auto it = modules_.lower_bound(query.prefix);
         it != modules_.end() && it->first.starts_with(query.prefix); ++it, ++total) {
        if (it->first <= query.after || page.modules.size() >= query.limit) continue;
        if (skipped < query.offset) {
            ++skipped;
            continue;
        }
        page.modules.push_back(it->second.module);
    }
    page.total = total;
    return page;
}

Result<std::vector<VersionRecord>> MetadataIndex::versions(std::string_view module) const {
    auto it = modules_.find(module);
    if (it == modules_.end()) return storage_errors::module_missing(module);
    return it->second.newest_first;
}

Result<const VersionRecord*> MetadataIndex::find(std::string_view module,
                                                 std::string_view version) const {
    auto it = modules_.find(module);
    if (it == modules_.end()) return storage_errors::module_missing(module);
    const Entry& entry = it->second;
    if (version == "latest") {
        if (!entry.module.latest_version) {
            return storage_errors::no_versions(module);
        }
        return &entry.newest_first[entry.by_key.at(version_key(*entry.module.latest_version))];
    }
    auto v = entry.by_key.find(version_key(version));
    if (v == entry.by_key.end()) {
        return storage_errors::version_missing(module, version);
    }
    return &entry.newest_first[v->second];
}

Result<std::vector<VersionRecord>> MetadataIndex::closure(
    const std::vector<VersionRef>& roots) const {
    return dependency_first_closure(
        roots, [this](const VersionRef& ref) -> Result<const VersionRecord*> {
            auto found = find(ref.module, ref.version);
            if (!found) return storage_errors::unknown_dependency(ref.to_string());
            return found;
        });
}

Result<std::vector<VersionRef>> MetadataIndex::dependents(const VersionRef& ref) const {
    auto target = find(ref.module, ref.version);
    if (!target) return std::move(target).error();
    auto it = dependents_.find(identity((*target)->module_name, (*target)->version));
    if (it == dependents_.end()) return std::vector<VersionRef>{};

    std::vector<VersionRef> out = it->second;
    sort_dependents(out);
    return out;
}

}  // namespace spoke
