#include "registry/version_graph.hpp"

#include <algorithm>
#include <unordered_set>

#include "registry/semver.hpp"

namespace spoke {

std::string version_identity(std::string_view module, std::string_view version) {
    return std::string(module) + "@" + version_key(version);
}

std::optional<VersionRef> split_stored_ref(std::string_view ref) {
    size_t at = ref.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    return VersionRef{std::string(ref.substr(0, at)), std::string(ref.substr(at + 1))};
}

Result<std::vector<VersionRecord>> dependency_first_closure(const std::vector<VersionRef>& roots,
                                                            const VersionLookup& lookup) {
    std::vector<VersionRecord> out;
    std::unordered_set<std::string> seen;
    struct Frame {
        const VersionRecord* record;
        size_t next_dep;
    };
    std::vector<Frame> stack;
    for (const auto& root : roots) {
        auto r = lookup(root);
        if (!r) return std::move(r).error();
        if (!seen.insert(version_identity((*r)->module_name, (*r)->version)).second) continue;
        stack.push_back({*r, 0});
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (top.next_dep < top.record->dependencies.size()) {
                const std::string& dep = top.record->dependencies[top.next_dep++];
                auto ref = split_stored_ref(dep);
                if (!ref) {
                    return Error{ErrorCode::UnknownDependency,
                                 "dependency " + quote_value(dep) + " does not exist",
                                 {}};
                }
                auto d = lookup(*ref);
                if (!d) return std::move(d).error();
                if (seen.insert(version_identity((*d)->module_name, (*d)->version)).second) {
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

void sort_dependents(std::vector<VersionRef>& refs) {
    struct Keyed {
        VersionRef ref;
        std::optional<Semver> semver;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(refs.size());
    for (auto& r : refs) {
        auto sv = parse_semver(r.version);
        keyed.push_back({std::move(r), std::move(sv)});
    }
    std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
        if (a.ref.module != b.ref.module) return a.ref.module < b.ref.module;
        if (a.semver && b.semver) {
            int c = compare_precedence(*a.semver, *b.semver);
            if (c != 0) return c < 0;
        }
        return a.ref.version < b.ref.version;
    });
    refs.clear();
    for (auto& k : keyed) refs.push_back(std::move(k.ref));
}

}  // namespace spoke
