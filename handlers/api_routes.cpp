// register_api_routes: the route table of the API listener.

#include <memory>

#include "handlers/codegen_handler.hpp"
#include "handlers/compatibility_handler.hpp"
#include "handlers/dependency_handler.hpp"
#include "handlers/descriptor_handler.hpp"
#include "handlers/file_handler.hpp"
#include "handlers/loop_services.hpp"
#include "handlers/module_handler.hpp"
#include "handlers/test_hook_handler.hpp"
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

void register_api_routes(Router& router, LoopServices& services, Services& app) {
    using M = HttpMethod;
    const ModuleHandler modules(app);
    router.add(M::Post, "/modules", bind(modules, &ModuleHandler::create));
    router.add(M::Get, "/modules", bind(modules, &ModuleHandler::list));
    router.add(M::Get, "/modules/{name}", bind(modules, &ModuleHandler::get));

    const VersionHandler versions(services, app);
    router.add(M::Post, "/modules/{name}/versions", bind(versions, &VersionHandler::push));
    router.add(M::Get, "/modules/{name}/versions", bind(versions, &VersionHandler::list));
    router.add(M::Get, "/modules/{name}/versions/{version}", bind(versions, &VersionHandler::get));

    const FileHandler files(services, app);
    router.add(M::Get, "/modules/{name}/versions/{version}/files/{path...}",
               bind(files, &FileHandler::get));

    const DependencyHandler deps(app);
    router.add(M::Get, "/modules/{name}/versions/{version}/dependencies",
               bind(deps, &DependencyHandler::dependencies));
    router.add(M::Get, "/modules/{name}/versions/{version}/dependents",
               bind(deps, &DependencyHandler::dependents));

    const DescriptorHandler descriptors(app);
    router.add(M::Get, "/modules/{name}/versions/{version}/descriptor",
               bind(descriptors, &DescriptorHandler::get));

    const CompatibilityHandler compat(app);
    router.add(M::Get, "/modules/{name}/config", bind(compat, &CompatibilityHandler::get_config));
    router.add(M::Put, "/modules/{name}/config", bind(compat, &CompatibilityHandler::put_config));
    router.add(M::Post, "/modules/{name}/compatibility",
               bind(compat, &CompatibilityHandler::check_pair));
    router.add(M::Get, "/modules/{name}/versions/{version}/compatibility",
               bind(compat, &CompatibilityHandler::check_version));
    // The contract serves the diff under /api/v1 only.
    router.add(M::Post, "/api/v1/modules/{name}/diff", bind(compat, &CompatibilityHandler::diff));

    // The contract serves these under /api/v1, and the download also without the prefix.
    const CodegenHandler codegen(services, app);
    router.add(M::Get, "/api/v1/languages", bind(codegen, &CodegenHandler::languages));
    router.add(M::Post, "/api/v1/modules/{name}/versions/{version}/compile",
               bind(codegen, &CodegenHandler::compile));
    router.add(M::Get, "/api/v1/modules/{name}/versions/{version}/compile/{job_id}",
               bind(codegen, &CodegenHandler::compile_status));
    router.add(M::Get, "/modules/{name}/versions/{version}/download/{language}",
               bind(codegen, &CodegenHandler::download));
    router.add(M::Get, "/api/v1/modules/{name}/versions/{version}/download/{language}",
               bind(codegen, &CodegenHandler::download));

    const ValidateHandler validate(app);
    router.add(M::Post, "/validate", bind(validate, &ValidateHandler::validate));

#ifdef SPOKE_TEST_HOOKS
    // Shared by its two routes; it owns the timers of pending slow requests.
    auto hooks = std::make_shared<TestHookHandler>(services);
    router.add(M::Get, "/_test/slow",
               [hooks](HttpExchange& ex, const RouteParams& p) { hooks->slow(ex, p); });
    router.add(M::Post, "/_test/stall",
               [hooks](HttpExchange& ex, const RouteParams& p) { hooks->stall(ex, p); });
#endif
}

}  // namespace spoke
