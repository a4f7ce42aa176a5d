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
class RateLimiter;

struct ServiceEnv {
    EventLoop& loop;
    WorkerPool& pool;              // process-wide; compiles, lints, checks
    Storage& storage;              // this loop's storage adapter
    const PushLimits& limits;      // what a schema may be (files, bytes, nesting)
    WorkAdmissions& admissions;    // process-wide bounds on pool work
    DescriptorCache& descriptors;  // process-wide compiled descriptor sets
    AuthShared& auth;              // process-wide token cache, limiter, JWT keys, counters
    // Reads that gate a write (the push's module, versions and level) must come from the store,
    // never from a cache that another instance's write may not have reached yet. Null: `storage`
    // has no cache in front.
    Storage* uncached = nullptr;
    // This loop's check against shared rate limits; null: none.
    RateLimiter* rate_limiter = nullptr;
    Storage& gate_storage() const { return uncached != nullptr ? *uncached : storage; }
};

}  // namespace spoke
