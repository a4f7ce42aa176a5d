#include "handlers/test_hook_handler.hpp"

#ifdef SPOKE_TEST_HOOKS

#include <chrono>

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {
namespace {

constexpr uint64_t kMaxMs = 120000;

Result<uint64_t> read_ms(const HttpExchange& ex) {
    auto ms = query_uint(ex, "ms");
    if (!ms) return std::move(ms).error();
    if (!ms->has_value()) return Error::bad_request("query parameter \"ms\" is required");
    if (**ms > kMaxMs) return Error::bad_request("query parameter \"ms\" is at most 120000");
    return **ms;
}

void reply_ms(HttpExchange& ex, const char* key, uint64_t ms) {
    JsonPtr body(json_object());
    json_object_set_new(body.get(), key, json_integer(static_cast<json_int_t>(ms)));
    reply_json(ex, 200, body.get());
}

}  // namespace

void TestHookHandler::slow(HttpExchange& ex, const RouteParams&) {
    auto ms = read_ms(ex);
    if (!ms) return reply_error(ex, ms.error());
    const uint64_t id = next_sleeper_++;
    auto timer =
        std::make_unique<Timer>(services_.loop, [this, id, handle = ex.handle(), ms = *ms] {
            if (HttpExchange* ex = handle.get()) reply_ms(*ex, "slept_ms", ms);
            // Not here: this runs inside the timer's own callback.
            services_.loop.defer([this, id] { sleepers_.erase(id); });
        });
    timer->arm(std::chrono::milliseconds(*ms));
    sleepers_.emplace(id, std::move(timer));
}

void TestHookHandler::stall(HttpExchange& ex, const RouteParams&) {
    auto ms = read_ms(ex);
    if (!ms) return reply_error(ex, ms.error());
    services_.loop.stall_for_test(static_cast<int64_t>(*ms));
    reply_ms(ex, "stalled_ms", *ms);
}

void reply_route_table(HttpExchange& ex, const RouteAccessTable& table) {
    static constexpr const char* kModuleFrom[] = {"none", "path", "body", "all"};
    JsonPtr list(json_array());
    for (const auto& d : table) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "route", json_text(d.route).release());
        json_object_set_new(o.get(), "scope", json_text(scope_name(d.access.scope)).release());
        json_object_set_new(o.get(), "module",
                            json_text(kModuleFrom[static_cast<int>(d.access.module)]).release());
        json_array_append_new(list.get(), o.release());
    }
    reply_json(ex, 200, list.get());
}

}  // namespace spoke

#endif  // SPOKE_TEST_HOOKS
