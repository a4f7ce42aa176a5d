#pragma once
// TestHookHandler (test builds only): routes that simulate slow handlers and a wedged loop.

#ifdef SPOKE_TEST_HOOKS

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "handlers/auth_gate.hpp"
#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"
#include "reactor/timer.hpp"

namespace spoke {

class TestHookHandler {
  public:
    explicit TestHookHandler(LoopServices& services) : services_(services) {}
    TestHookHandler(const TestHookHandler&) = delete;
    TestHookHandler& operator=(const TestHookHandler&) = delete;

    // GET /_test/slow?ms=N: replies {"slept_ms":N} after N ms, without blocking the loop.
    void slow(HttpExchange& ex, const RouteParams& params);
    // POST /_test/stall?ms=N: blocks the loop thread for N ms, then replies.
    void stall(HttpExchange& ex, const RouteParams& params);

  private:
    LoopServices& services_;
    uint64_t next_sleeper_ = 0;
    std::unordered_map<uint64_t, std::unique_ptr<Timer>> sleepers_;  // armed timers by id
};

// GET /_test/routes: [{route, scope, module}] for every API route, in registration order.
void reply_route_table(HttpExchange& ex, const RouteAccessTable& table);

}  // namespace spoke

#endif  // SPOKE_TEST_HOOKS
