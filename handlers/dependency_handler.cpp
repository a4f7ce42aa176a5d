#include "handlers/dependency_handler.hpp"

#include "backends/storage.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/schema_loader.hpp"
#include "registry/semver.hpp"

namespace spoke {
namespace {

JsonPtr ref_to_json(std::string_view module, std::string_view version) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "module", json_text(module).release());
    json_object_set_new(o.get(), "version", json_text(version).release());
    return o;
}

JsonPtr dependency_to_json(std::string_view module, std::string_view version, bool direct) {
    JsonPtr o = ref_to_json(module, version);
    json_object_set_new(o.get(), "type", json_string(direct ? "direct" : "transitive"));
    return o;
}

// {module, version, <list_name>: list}
void reply_listing(HttpExchange& ex, const VersionRecord& root, const char* list_name,
                   JsonPtr list) {
    JsonPtr body = ref_to_json(root.module_name, root.version);
    json_object_set_new(body.get(), list_name, list.release());
    reply_json(ex, 200, body.get());
}

bool is_direct(const VersionRecord& r, const std::vector<VersionRef>& direct) {
    for (const auto& d : direct) {
        if (d.module == r.module_name && version_key(d.version) == version_key(r.version)) {
            return true;
        }
    }
    return false;
}

}  // namespace

void DependencyHandler::dependencies(HttpExchange& ex, const RouteParams& params) const {
    auto transitive = query_bool(ex, "transitive", false);
    if (!transitive) return reply_error(ex, transitive.error());
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, module, version)) return;
    Storage& storage = services_.storage;
    storage.get_version(
        module, version,
        [&storage, handle = ex.handle(),
         transitive = *transitive](Result<VersionSnapshotPtr> snapshot) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!snapshot) return reply_error(*ex, snapshot.error());
            VersionSnapshotPtr root = std::move(*snapshot);
            auto direct = parse_stored_refs(root->record.dependencies);
            if (!direct) return reply_error(*ex, direct.error());
            if (!transitive || direct->empty()) {
                JsonPtr list(json_array());
                for (const auto& d : *direct) {
                    json_array_append_new(list.get(),
                                          dependency_to_json(d.module, d.version, true).release());
                }
                return reply_listing(*ex, root->record, "dependencies", std::move(list));
            }
            std::vector<VersionRef> roots = *direct;
            storage.dependency_closure(
                std::move(roots), [handle, root = std::move(root), direct = std::move(*direct)](
                                      Result<std::vector<VersionRecord>> closure) {
                    HttpExchange* ex = handle.get();
                    if (ex == nullptr) return;
                    if (!closure) {
                        // Stored versions' dependencies exist by construction.
                        if (closure.error().code == ErrorCode::UnknownDependency) {
                            return reply_error(*ex, Error::internal(closure.error().message));
                        }
                        return reply_error(*ex, closure.error());
                    }
                    JsonPtr list(json_array());
                    for (const auto& r : *closure) {
                        json_array_append_new(
                            list.get(),
                            dependency_to_json(r.module_name, r.version, is_direct(r, direct))
                                .release());
                    }
                    reply_listing(*ex, root->record, "dependencies", std::move(list));
                });
        });
}

void DependencyHandler::dependents(HttpExchange& ex, const RouteParams& params) const {
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, module, version)) return;
    Storage& storage = services_.storage;
    // get_version resolves "latest" and the 'v' spelling, and gives the 404s.
    storage.get_version(
        module, version, [&storage, handle = ex.handle()](Result<VersionSnapshotPtr> snapshot) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!snapshot) return reply_error(*ex, snapshot.error());
            VersionRecord root = (*snapshot)->record;
            root.files.clear();
            VersionRef ref{root.module_name, root.version};
            storage.list_dependents(
                std::move(ref),
                [handle, root = std::move(root)](Result<std::vector<VersionRef>> dependents) {
                    HttpExchange* ex = handle.get();
                    if (ex == nullptr) return;
                    if (!dependents) return reply_error(*ex, dependents.error());
                    JsonPtr list(json_array());
                    for (const auto& d : *dependents) {
                        json_array_append_new(list.get(),
                                              ref_to_json(d.module, d.version).release());
                    }
                    reply_listing(*ex, root, "dependents", std::move(list));
                });
        });
}

}  // namespace spoke
