#include "handlers/dependency_handler.hpp"

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"

namespace spoke {
namespace {

JsonPtr ref_to_json(std::string_view module, std::string_view version) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "module", json_text(module).release());
    json_object_set_new(o.get(), "version", json_text(version).release());
    return o;
}

JsonPtr dependency_to_json(const ListedDependency& d) {
    JsonPtr o = ref_to_json(d.module, d.version);
    json_object_set_new(o.get(), "type", json_string(d.direct ? "direct" : "transitive"));
    return o;
}

// {module, version, <list_name>: list}
void reply_listing(HttpExchange& ex, const VersionRecord& root, const char* list_name,
                   JsonPtr list) {
    JsonPtr body = ref_to_json(root.module_name, root.version);
    json_object_set_new(body.get(), list_name, list.release());
    reply_json(ex, 200, body.get());
}

}  // namespace

void DependencyHandler::dependencies(HttpExchange& ex, const RouteParams& params) const {
    auto transitive = query_bool(ex, "transitive", false);
    if (!transitive) return reply_error(ex, transitive.error());
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, module, version)) return;
    app_.reader.dependencies(
        module, version, *transitive, [handle = ex.handle()](Result<DependencyListing> listing) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!listing) return reply_error(*ex, listing.error());
            JsonPtr list(json_array());
            for (const auto& d : listing->dependencies) {
                json_array_append_new(list.get(), dependency_to_json(d).release());
            }
            reply_listing(*ex, listing->root, "dependencies", std::move(list));
        });
}

void DependencyHandler::dependents(HttpExchange& ex, const RouteParams& params) const {
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (reply_if_impossible_name(ex, module, version)) return;
    app_.reader.dependents(
        module, version, [handle = ex.handle()](Result<DependentsListing> listing) {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;
            if (!listing) return reply_error(*ex, listing.error());
            JsonPtr list(json_array());
            for (const auto& d : listing->dependents) {
                json_array_append_new(list.get(), ref_to_json(d.module, d.version).release());
            }
            reply_listing(*ex, listing->root, "dependents", std::move(list));
        });
}

}  // namespace spoke
