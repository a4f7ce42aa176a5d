#include "handlers/auth_gate.hpp"

#include <jansson.h>

#include "common/clock.hpp"
#include "handlers/client_address.hpp"
#include "handlers/confluent_reply.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "services/auth/auth_shared.hpp"
#include "services/rate_limit/rate_limiter.hpp"
#include "services/services.hpp"

namespace spoke {

namespace {

// The module a request acts on, for prefix checks; empty when the route names none or the
// body cannot be read (the handler then refuses it with 400 and writes nothing).
std::string module_of(const RouteAccess& access, const RouteParams& params,
                      const HttpExchange& ex) {
    switch (access.module) {
        case ModuleFrom::PathName:
            return params.get("name");
        case ModuleFrom::BodyName: {
            json_error_t error;
            JsonPtr body(json_loadb(ex.body().data(), ex.body().size(), 0, &error));
            const json_t* name = body ? json_object_get(body.get(), "name") : nullptr;
            if (name == nullptr || !json_is_string(name)) return {};
            return std::string(json_string_value(name), json_string_length(name));
        }
        case ModuleFrom::None:
        case ModuleFrom::AllModules:
            break;
    }
    return {};
}

// RFC 6750: a 401 names the scheme; a credential that was sent and refused is invalid_token.
void reply_refused(HttpExchange& ex, const Error& error, bool credential_sent) {
    ex.add_log_field("denied", std::string(error_code_name(error.code)));
    if (error.code == ErrorCode::Unauthorized) {
        ex.add_header("WWW-Authenticate", credential_sent
                                              ? R"(Bearer realm="spoke", error="invalid_token")"
                                              : R"(Bearer realm="spoke")");
    }
    if (is_confluent_path(ex.path())) return reply_confluent_error(ex, error);
    reply_error(ex, error);
}

// 429 in the dialect of the route asked for.
void reply_limited(HttpExchange& ex, std::string_view message, int64_t seconds) {
    ex.add_log_field("denied", "RATE_LIMITED");
    if (is_confluent_path(ex.path())) return reply_confluent_rate_limited(ex, message, seconds);
    reply_rate_limited(ex, message, seconds);
}

struct GateContext {
    Services& app;
    RouteAccess access;
    const RouteHandler* handler;  // lives in the Router, which outlives every exchange
};

// Takes a token from the client's bucket, then runs the handler or answers 429. Every answer of
// a limited route says where the client stands (X-RateLimit-*).
void limit_then_run(const GateContext& gate, HttpExchange& ex, const RouteParams& params,
                    const std::string& key) {
    RateLimiter* limiter = gate.app.env.rate_limiter;
    if (limiter == nullptr || !limiter->enabled()) return (*gate.handler)(ex, params);
    limiter->check(key, [gate, params, handle = ex.handle()](RateDecision d) mutable {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;  // answered already (deadline) or the client left
        ex->add_header("X-RateLimit-Limit", std::to_string(d.limit));
        ex->add_header("X-RateLimit-Remaining", std::to_string(d.remaining));
        ex->add_header("X-RateLimit-Reset", std::to_string(d.reset_seconds));
        if (!d.allowed) {
            const int64_t seconds = std::max<int64_t>(1, (d.retry_after_ms + 999) / 1000);
            return reply_limited(*ex,
                                 "rate limit exceeded (" + std::to_string(d.limit) +
                                     " requests at once); retry in " + std::to_string(seconds) +
                                     " s",
                                 seconds);
        }
        (*gate.handler)(*ex, params);
    });
}

void decide(const GateContext& gate, HttpExchange& ex, const RouteParams& params,
            const Principal& who, const std::string& peer) {
    AuthShared& shared = gate.app.env.auth;
    const std::string module = module_of(gate.access, params, ex);
    if (!who.anonymous()) {
        ex.add_log_field("credential_id", who.id);
        ex.add_log_field("credential_name", who.name);
    }
    if (!module.empty()) ex.add_log_field("module", module);
    if (const std::string& version = params.get("version"); !version.empty()) {
        ex.add_log_field("version", version);
    }
    Status allowed = decide_access(who, gate.access, module, shared.settings.anonymous_read);
    if (!allowed) {
        const bool missing = allowed.error().code == ErrorCode::Unauthorized;
        shared.counters.count(missing ? AuthOutcome::Missing : AuthOutcome::Forbidden);
        return reply_refused(ex, allowed.error(), false);
    }
    limit_then_run(gate, ex, params, who.anonymous() ? "a:" + peer : "t:" + who.id);
}

void admit(const GateContext& gate, HttpExchange& ex, const RouteParams& params) {
    AuthShared& shared = gate.app.env.auth;
    const auto authorization = ex.header("Authorization");
    // The hot path of public reads: nothing to check, nothing to allocate.
    if (!authorization && gate.access.scope == Scope::Read && shared.settings.anonymous_read) {
        RateLimiter* limiter = gate.app.env.rate_limiter;
        if (limiter == nullptr || !limiter->enabled()) return (*gate.handler)(ex, params);
        return limit_then_run(gate, ex, params,
                              "a:" + client_address(ex, shared.settings.trusted_proxies));
    }
    // Kept for the audit line: the address is gone from the exchange once it has replied.
    std::string peer = client_address(ex, shared.settings.trusted_proxies);
    ex.add_log_field("client", peer);
    if (authorization) {
        if (auto wait = shared.failures.blocked(peer, monotonic_ms())) {
            shared.counters.count(AuthOutcome::Throttled);
            const int64_t seconds = std::max<int64_t>(1, (wait->count() + 999) / 1000);
            return reply_limited(ex,
                                 "too many failed authentications from this address; retry in " +
                                     std::to_string(seconds) + " s",
                                 seconds);
        }
    }
    // Which of two credentials would count is exactly what a proxy and we could disagree on.
    if (authorization && ex.count_headers("Authorization") > 1) {
        shared.counters.count(AuthOutcome::Malformed);
        shared.failures.record_failure(peer, monotonic_ms());
        return reply_refused(
            ex, Error::unauthorized("the request has more than one Authorization header"), true);
    }
    gate.app.auth.authenticate(
        authorization, [gate, params, handle = ex.handle(), peer = std::move(peer),
                        sent = authorization.has_value()](Result<Principal> who) mutable {
            HttpExchange* ex = handle.get();
            if (ex == nullptr) return;  // answered already (deadline) or the client left
            if (!who) {
                if (who.error().code == ErrorCode::Unauthorized) {
                    gate.app.env.auth.failures.record_failure(peer, monotonic_ms());
                }
                return reply_refused(*ex, who.error(), sent);
            }
            decide(gate, *ex, params, *who, peer);
        });
}

}  // namespace

void AuthGate::add(Router& router, HttpMethod method, std::string_view pattern, RouteAccess access,
                   RouteHandler handler) {
    table_.push_back(
        RouteDeclaration{std::string(method_name(method)) + " " + std::string(pattern), access});
    // The handler is owned by this closure, which the Router keeps for its whole life.
    auto owned = std::make_shared<const RouteHandler>(std::move(handler));
    router.add(method, pattern,
               [gate = GateContext{app_, access, owned.get()}, owned](
                   HttpExchange& ex, const RouteParams& params) { admit(gate, ex, params); });
}

}  // namespace spoke
