#include "services/dependency_refs.hpp"

#include "registry/names.hpp"
#include "registry/semver.hpp"

namespace spoke {

Result<std::vector<std::string>> resolve_direct(const std::vector<VersionRef>& direct,
                                                const std::vector<VersionRecord>& closure) {
    std::vector<std::string> resolved;
    resolved.reserve(direct.size());
    for (const VersionRef& ref : direct) {
        const VersionRecord* match = nullptr;
        if (ref.version == "latest") {
            // The closure holds the module's latest version, and any other version of it that
            // it holds is older, so "latest" within the closure is the same one.
            std::vector<VersionRecord> candidates;
            for (const auto& r : closure) {
                if (r.module_name == ref.module) candidates.push_back(r);
            }
            if (auto i = select_latest(candidates)) {
                for (const auto& r : closure) {
                    if (r.module_name == ref.module && r.version == candidates[*i].version) {
                        match = &r;
                    }
                }
            }
        } else {
            const std::string key = version_key(ref.version);
            for (const auto& r : closure) {
                if (r.module_name == ref.module && version_key(r.version) == key) match = &r;
            }
        }
        if (match == nullptr) {
            return Error{ErrorCode::UnknownDependency,
                         "dependency \"" + ref.to_string() + "\" does not exist",
                         {}};
        }
        resolved.push_back(match->module_name + "@" + match->version);
    }
    return resolved;
}

Result<std::vector<VersionRef>> parse_stored_refs(const std::vector<std::string>& refs) {
    std::vector<VersionRef> out;
    out.reserve(refs.size());
    for (const auto& raw : refs) {
        auto ref = parse_dependency_ref(raw);
        if (!ref) return Error::internal("stored dependency is malformed: " + ref.error().message);
        out.push_back(std::move(ref).value());
    }
    return out;
}

}  // namespace spoke
