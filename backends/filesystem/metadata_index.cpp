#include "backends/filesystem/metadata_index.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "registry/semver.hpp"

namespace spoke {
namespace {

Error module_missing(std::string_view name) {
    return Error::not_found("module " + quote_value(name) + " does not exist");
}

// Stored dependencies are exact "module@version" strings.
std::optional<VersionRef> split_ref(std::string_view ref) {
    size_t at = ref.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    return VersionRef{std::string(ref.substr(0, at)), std::string(ref.substr(at + 1))};
}

}  // namespace

std::string MetadataIndex::identity(std::string_view module, std::string_view version) {
    return std::string(module) + "@" + version_key(version);
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
        auto ref = split_ref(dep);
        if (!ref) continue;
        dependents_[identity(ref->module, ref->version)].push_back(
            VersionRef{record.module_name, record.version});
    }
}

Result<Module> MetadataIndex::module(std::string_view name) const {
    auto it = modules_.find(name);
    if (it == modules_.end()) return module_missing(name);
    return it->second.module;
}

ModulePage MetadataIndex::list_modules(const ModuleQuery& query) const {
    ModulePage page;
    uint64_t index = 0;
    for (auto it = modules_.lower_bound(query.prefix);
         it != modules_.end() && it->first.starts_with(query.prefix); ++it, ++index) {
        if (index >= query.offset && page.modules.size() < query.limit) {
            page.modules.push_back(it->second.module);
        }
    }
    page.total = index;
    return page;
}

Result<std::vector<VersionRecord>> MetadataIndex::versions(std::string_view module) const {
    auto it = modules_.find(module);
    if (it == modules_.end()) return module_missing(module);
    return it->second.newest_first;
}

Result<const VersionRecord*> MetadataIndex::find(std::string_view module,
                                                 std::string_view version) const {
    auto it = modules_.find(module);
    if (it == modules_.end()) return module_missing(module);
    const Entry& entry = it->second;
    if (version == "latest") {
        if (!entry.module.latest_version) {
            return Error::not_found("module " + quote_value(module) + " has no versions");
        }
        return &entry.newest_first[entry.by_key.at(version_key(*entry.module.latest_version))];
    }
    auto v = entry.by_key.find(version_key(version));
    if (v == entry.by_key.end()) {
        return Error::not_found("version " + quote_value(version) + " of module " +
                                quote_value(module) + " does not exist");
    }
    return &entry.newest_first[v->second];
}

Result<std::vector<VersionRecord>> MetadataIndex::closure(
    const std::vector<VersionRef>& roots) const {
    auto resolve = [this](const VersionRef& ref) -> Result<const VersionRecord*> {
        auto found = find(ref.module, ref.version);
        if (!found) {
            return Error{ErrorCode::UnknownDependency,
                         "dependency " + quote_value(ref.to_string()) + " does not exist",
                         {}};
        }
        return found;
    };

    std::vector<VersionRecord> out;
    std::unordered_set<std::string> seen;
    struct Frame {
        const VersionRecord* record;
        size_t next_dep;
    };
    std::vector<Frame> stack;  // explicit, so a long chain cannot overflow the thread's stack
    for (const auto& root : roots) {
        auto r = resolve(root);
        if (!r) return std::move(r).error();
        if (!seen.insert(identity((*r)->module_name, (*r)->version)).second) continue;
        stack.push_back({*r, 0});
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (top.next_dep < top.record->dependencies.size()) {
                const std::string& dep = top.record->dependencies[top.next_dep++];
                auto ref = split_ref(dep);
                if (!ref) {
                    return Error{ErrorCode::UnknownDependency,
                                 "dependency " + quote_value(dep) + " does not exist",
                                 {}};
                }
                auto d = resolve(*ref);
                if (!d) return std::move(d).error();
                if (seen.insert(identity((*d)->module_name, (*d)->version)).second) {
                    stack.push_back({*d, 0});  // invalidates `top`; it is not used again
                }
            } else {
                out.push_back(*top.record);
                stack.pop_back();
            }
        }
    }
    return out;
}

Result<std::vector<VersionRef>> MetadataIndex::dependents(const VersionRef& ref) const {
    auto target = find(ref.module, ref.version);
    if (!target) return std::move(target).error();
    auto it = dependents_.find(identity((*target)->module_name, (*target)->version));
    if (it == dependents_.end()) return std::vector<VersionRef>{};

    struct Keyed {
        VersionRef ref;
        std::optional<Semver> semver;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(it->second.size());
    for (const auto& r : it->second) keyed.push_back({r, parse_semver(r.version)});
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
        if (a.ref.module != b.ref.module) return a.ref.module < b.ref.module;
        if (a.semver && b.semver) {
            int c = compare_precedence(*a.semver, *b.semver);
            if (c != 0) return c < 0;
        }
        return a.ref.version < b.ref.version;
    });
    std::vector<VersionRef> out;
    out.reserve(keyed.size());
    for (auto& k : keyed) out.push_back(std::move(k.ref));
    return out;
}

}  // namespace spoke
