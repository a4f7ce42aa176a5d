#pragma once
// LoopServices: what the API handlers of one event loop may use besides the application services
// (services/services.hpp). Owned by the server's per-loop
// state; outlives every handler call and every completion on that loop.

#include <chrono>
#include <vector>

#include "registry/push_request.hpp"

namespace spoke {

class EventLoop;
class WorkerPool;
class Storage;
class ResponseCache;
class CodegenService;

// Handler settings taken from the configuration at start-up.
struct HandlerSettings {
    PushLimits limits;
};

struct LoopServices {
    EventLoop& loop;
    WorkerPool& pool;      // process-wide; for compiling .proto files
    Storage& storage;      // this loop's storage adapter
    ResponseCache& cache;  // process-wide cache of rendered immutable responses
    const HandlerSettings& settings;
    CodegenService& codegen;  // process-wide code generation (thread-safe)
};

class Router;
struct Services;
struct RouteDeclaration;
// Registers every API route of the contract that is implemented (handlers/*.cpp), each behind
// the AuthGate with what it needs recorded in `table` (registration order); the routes call the
// application `app` (services/) of the same loop. `table` outlives the router.
void register_api_routes(Router& router, LoopServices& services, Services& app,
                         std::vector<RouteDeclaration>& table);

}  // namespace spoke
