#pragma once
// ServiceEnv: what the application services of one event loop use. Everything it names outlives
// the services and every completion they run on that loop.

#include "registry/push_request.hpp"

namespace spoke {

class EventLoop;
class WorkerPool;
class Storage;
class DescriptorCache;
struct WorkAdmissions;
struct AuthShared;

struct ServiceEnv {
    EventLoop& loop;
    WorkerPool& pool;              // process-wide; compiles, lints, checks
    Storage& storage;              // this loop's storage adapter
    const PushLimits& limits;      // what a schema may be (files, bytes, nesting)
    WorkAdmissions& admissions;    // process-wide bounds on pool work
    DescriptorCache& descriptors;  // process-wide compiled descriptor sets
    AuthShared& auth;              // process-wide token cache, limiter, JWT keys, counters
};

}  // namespace spoke
