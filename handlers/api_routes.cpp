// register_api_routes: the route table of the API listener.

#include <memory>

#include "handlers/auth_gate.hpp"
#include "handlers/codegen_handler.hpp"
#include "handlers/compatibility_handler.hpp"
#include "handlers/confluent_handler.hpp"
#include "handlers/dependency_handler.hpp"
#include "handlers/descriptor_handler.hpp"
#include "handlers/file_handler.hpp"
#include "handlers/loop_services.hpp"
#include "handlers/module_handler.hpp"
#include "handlers/test_hook_handler.hpp"
#include "handlers/token_handler.hpp"
#include "handlers/validate_handler.hpp"
#include "handlers/version_handler.hpp"
#include "reactor/router.hpp"

namespace spoke {
namespace {

// Binds a handler object (held by value: it is only a LoopServices reference) to one method.
template <class Handler>
RouteHandler bind(Handler handler,
                  void (Handler::*method)(HttpExchange&, const RouteParams&) const) {
    return [handler, method](HttpExchange& ex, const RouteParams& params) {
        (handler.*method)(ex, params);
    };
}

}  // namespace

void register_api_routes(Router& router, LoopServices& services, Services& app,
                         RouteAccessTable& table) {
    using M = HttpMethod;
    AuthGate gate(app, table);
    // What each route needs (docs/api.md, "Authentication"). Reads of derived data (checks,
    // diffs, generated code) are reads: they change nothing a client could see.
    constexpr RouteAccess read{Scope::Read, ModuleFrom::None};
    constexpr RouteAccess read_module{Scope::Read, ModuleFrom::PathName};
    constexpr RouteAccess write_module{Scope::Write, ModuleFrom::PathName};
    constexpr RouteAccess create_module{Scope::Write, ModuleFrom::BodyName};
    constexpr RouteAccess admin_module{Scope::Admin, ModuleFrom::PathName};
    constexpr RouteAccess admin_all{Scope::Admin, ModuleFrom::AllModules};
    auto add = [&](HttpMethod method, std::string_view pattern, RouteAccess access,
                   RouteHandler handler) {
        gate.add(router, method, pattern, access, std::move(handler));
    };
    const ModuleHandler modules(app);
    add(M::Post, "/modules", create_module, bind(modules, &ModuleHandler::create));
    add(M::Get, "/modules", read, bind(modules, &ModuleHandler::list));
    add(M::Get, "/modules/{name}", read_module, bind(modules, &ModuleHandler::get));

    const VersionHandler versions(services, app);
    add(M::Post, "/modules/{name}/versions", write_module, bind(versions, &VersionHandler::push));
    add(M::Get, "/modules/{name}/versions", read_module, bind(versions, &VersionHandler::list));
    add(M::Get, "/modules/{name}/versions/{version}", read_module,
        bind(versions, &VersionHandler::get));

    const FileHandler files(services, app);
    add(M::Get, "/modules/{name}/versions/{version}/files/{path...}", read_module,
        bind(files, &FileHandler::get));

    const DependencyHandler deps(app);
    add(M::Get, "/modules/{name}/versions/{version}/dependencies", read_module,
        bind(deps, &DependencyHandler::dependencies));
    add(M::Get, "/modules/{name}/versions/{version}/dependents", read_module,
        bind(deps, &DependencyHandler::dependents));

    const DescriptorHandler descriptors(app);
    add(M::Get, "/modules/{name}/versions/{version}/descriptor", read_module,
        bind(descriptors, &DescriptorHandler::get));

    const CompatibilityHandler compat(app);
    add(M::Get, "/modules/{name}/config", read_module,
        bind(compat, &CompatibilityHandler::get_config));
    add(M::Put, "/modules/{name}/config", admin_module,
        bind(compat, &CompatibilityHandler::put_config));
    add(M::Post, "/modules/{name}/compatibility", read_module,
        bind(compat, &CompatibilityHandler::check_pair));
    add(M::Get, "/modules/{name}/versions/{version}/compatibility", read_module,
        bind(compat, &CompatibilityHandler::check_version));
    // The contract serves the diff under /api/v1 only.
    add(M::Post, "/api/v1/modules/{name}/diff", read_module,
        bind(compat, &CompatibilityHandler::diff));

    // The contract serves these under /api/v1, and the download also without the prefix.
    const CodegenHandler codegen(services, app);
    add(M::Get, "/api/v1/languages", read, bind(codegen, &CodegenHandler::languages));
    add(M::Post, "/api/v1/modules/{name}/versions/{version}/compile", read_module,
        bind(codegen, &CodegenHandler::compile));
    add(M::Get, "/api/v1/modules/{name}/versions/{version}/compile/{job_id}", read_module,
        bind(codegen, &CodegenHandler::compile_status));
    add(M::Get, "/modules/{name}/versions/{version}/download/{language}", read_module,
        bind(codegen, &CodegenHandler::download));
    add(M::Get, "/api/v1/modules/{name}/versions/{version}/download/{language}", read_module,
        bind(codegen, &CodegenHandler::download));

    const TokenHandler tokens(app);
    add(M::Post, "/auth/tokens", admin_all, bind(tokens, &TokenHandler::create));
    add(M::Get, "/auth/tokens", admin_all, bind(tokens, &TokenHandler::list));
    add(M::Delete, "/auth/tokens/{id}", admin_all, bind(tokens, &TokenHandler::revoke));

    const ValidateHandler validate(app);
    add(M::Post, "/validate", read, bind(validate, &ValidateHandler::validate));

    // Confluent's Schema Registry dialect (docs/confluent.md). A subject is a module name for
    // prefix-limited credentials; the registry-wide settings need an unlimited admin.
    const ConfluentHandler cf(services, app);
    add(M::Get, "/schemas/types", read, bind(cf, &ConfluentHandler::schema_types));
    add(M::Get, "/schemas/ids/{id}", read, bind(cf, &ConfluentHandler::schema_by_id));
    add(M::Get, "/schemas/ids/{id}/schema", read, bind(cf, &ConfluentHandler::schema_text_by_id));
    add(M::Get, "/schemas/ids/{id}/versions", read, bind(cf, &ConfluentHandler::schema_versions));
    add(M::Get, "/schemas/ids/{id}/subjects", read, bind(cf, &ConfluentHandler::schema_subjects));
    add(M::Get, "/subjects", read, bind(cf, &ConfluentHandler::subjects));
    add(M::Post, "/subjects/{name}", read_module, bind(cf, &ConfluentHandler::lookup));
    add(M::Delete, "/subjects/{name}", write_module, bind(cf, &ConfluentHandler::delete_subject));
    add(M::Get, "/subjects/{name}/versions", read_module, bind(cf, &ConfluentHandler::versions));
    add(M::Post, "/subjects/{name}/versions", write_module,
        bind(cf, &ConfluentHandler::register_schema));
    add(M::Get, "/subjects/{name}/versions/{version}", read_module,
        bind(cf, &ConfluentHandler::version));
    add(M::Delete, "/subjects/{name}/versions/{version}", write_module,
        bind(cf, &ConfluentHandler::delete_version));
    add(M::Get, "/subjects/{name}/versions/{version}/schema", read_module,
        bind(cf, &ConfluentHandler::version_text));
    add(M::Get, "/subjects/{name}/versions/{version}/referencedby", read_module,
        bind(cf, &ConfluentHandler::referenced_by));
    add(M::Post, "/compatibility/subjects/{name}/versions/{version}", read_module,
        bind(cf, &ConfluentHandler::check));
    add(M::Post, "/compatibility/subjects/{name}/versions", read_module,
        bind(cf, &ConfluentHandler::check));
    add(M::Get, "/config", read, bind(cf, &ConfluentHandler::get_config));
    add(M::Put, "/config", admin_all, bind(cf, &ConfluentHandler::put_config));
    add(M::Delete, "/config", admin_all, bind(cf, &ConfluentHandler::delete_config));
    add(M::Get, "/config/{name}", read_module, bind(cf, &ConfluentHandler::get_config));
    add(M::Put, "/config/{name}", admin_module, bind(cf, &ConfluentHandler::put_config));
    add(M::Delete, "/config/{name}", admin_module, bind(cf, &ConfluentHandler::delete_config));
    add(M::Get, "/mode", read, bind(cf, &ConfluentHandler::get_mode));
    add(M::Put, "/mode", admin_all, bind(cf, &ConfluentHandler::put_mode));
    add(M::Get, "/mode/{name}", read_module, bind(cf, &ConfluentHandler::get_mode));
    add(M::Put, "/mode/{name}", admin_module, bind(cf, &ConfluentHandler::put_mode));
    add(M::Delete, "/mode/{name}", admin_module, bind(cf, &ConfluentHandler::delete_mode));

#ifdef SPOKE_TEST_HOOKS
    // Shared by its two routes; it owns the timers of pending slow requests.
    auto hooks = std::make_shared<TestHookHandler>(services);
    add(M::Get, "/_test/slow", read,
        [hooks](HttpExchange& ex, const RouteParams& p) { hooks->slow(ex, p); });
    add(M::Post, "/_test/stall", read,
        [hooks](HttpExchange& ex, const RouteParams& p) { hooks->stall(ex, p); });
    // The route table with what each route needs: the authorization tests are generated from it.
    add(M::Get, "/_test/routes", read,
        [&table](HttpExchange& ex, const RouteParams&) { reply_route_table(ex, table); });
#endif
}

}  // namespace spoke
