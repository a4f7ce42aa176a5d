#pragma once
// HttpExchange: one HTTP request and its single reply. Handlers see only this, never the
// connection, the parser or libevent.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reactor/http_method.hpp"
#include "reactor/http_request.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/trace_context.hpp"

namespace spoke {

class EventLoop;
class HttpServer;
class ExchangeHandle;
class HttpConnection;

class HttpExchange {
  public:
    HttpExchange(HttpServer& server, HttpConnection& conn, std::unique_ptr<HttpRequest> request,
                 uint64_t id);
    ~HttpExchange();
    HttpExchange(const HttpExchange&) = delete;
    HttpExchange& operator=(const HttpExchange&) = delete;

    uint64_t id() const { return id_; }
    EventLoop& loop() const;
    // A handle for completions to find this exchange later (defined below ExchangeHandle).
    ExchangeHandle handle() const;

    HttpMethod method() const { return request_->method; }
    // Path without the query, still percent-encoded (the router decodes each segment).
    const std::string& path() const { return request_->path; }
    // Decoded query parameter (first occurrence), if present.
    std::optional<std::string> query(std::string_view key) const;
    // Request header (case-insensitive name).
    std::optional<std::string_view> header(std::string_view name) const;
    // How many times the request carries a header (case-insensitive name).
    size_t count_headers(std::string_view name) const;
    // Whole request body (the connection reads it, up to SPOKE_MAX_BODY, before the handler runs).
    std::string_view body() const;
    const std::string& request_id() const { return request_id_; }
    // Client address (empty once the reply is sent: it is read from the live connection).
    std::string peer_address() const;
    // W3C trace context as received (empty if none), for the logs.
    const std::string& traceparent() const { return traceparent_; }
    // This request's server span: in the caller's trace (a valid traceparent) or a new one.
    const TraceContext& trace() const { return trace_; }

    // The matched route: its name (e.g. "GET /modules/{name}") and its index in the Router
    // (kUnmatchedRoute when none), for metrics and logs.
    static constexpr size_t kUnmatchedRoute = static_cast<size_t>(-1);
    void set_route(std::string_view route, size_t index) {
        route_ = route;
        route_index_ = index;
    }
    std::string_view route() const { return route_; }
    size_t route_index() const { return route_index_; }

    // Facts about the request that handlers learn (who it acts as, which module), for the
    // access and audit logs written when it is answered. `key` must be a string literal.
    void add_log_field(std::string_view key, std::string value) {
        log_fields_.emplace_back(key, std::move(value));
    }
    // The value of a log field, or nullptr when it was not set.
    const std::string* log_field(std::string_view key) const;
    const std::vector<std::pair<std::string_view, std::string>>& log_fields() const {
        return log_fields_;
    }

    // A header to send with the reply (call before reply(); ignored after it).
    void add_header(std::string_view name, std::string_view value);

    // Send the reply. Exactly one reply per exchange; later calls are ignored (and logged).
    void reply(int status, std::string_view content_type, std::string body);
    // Zero-copy variant for cached immutable bodies: `body` stays alive until the bytes are sent.
    void reply_shared(int status, std::string_view content_type,
                      std::shared_ptr<const std::string> body);
    bool replied() const { return replied_; }
    // Ends when the reply is sent (or the exchange is freed): work queued on behalf of this
    // request checks it and is skipped once nobody waits for its result.
    LifetimeGuard lifetime_guard() { return lifetime_.guard(); }

    int64_t started_ns() const { return started_ns_; }

  private:
    friend class HttpServer;
    void send(int status, std::string_view content_type, std::string_view body,
              std::shared_ptr<const std::string> shared);
    // The connection is gone (client left, server stopping): replies are dropped from now on.
    void detach();

    HttpServer& server_;
    HttpConnection* conn_;  // null once it replied or the client left
    std::unique_ptr<HttpRequest> request_;
    uint64_t id_;
    std::string request_id_;
    std::string traceparent_;
    TraceContext trace_;
    std::string extra_headers_;  // add_header() lines, already formatted
    std::vector<std::pair<std::string_view, std::string>> log_fields_;
    std::string_view route_ = "unmatched";
    size_t route_index_ = kUnmatchedRoute;
    bool replied_ = false;
    bool detached_ = false;
    int64_t started_ns_ = 0;
    Lifetime lifetime_;  // last: ends first
};

// A reference to an exchange that may have finished: completions hold this, never a pointer.
class ExchangeHandle {
  public:
    ExchangeHandle() = default;
    ExchangeHandle(HttpServer* server, uint64_t id) : server_(server), id_(id) {}
    // The live exchange, or nullptr if it already replied (deadline, shutdown) and was freed.
    HttpExchange* get() const;

  private:
    HttpServer* server_ = nullptr;
    uint64_t id_ = 0;
};

inline ExchangeHandle HttpExchange::handle() const {
    return ExchangeHandle(&server_, id_);
}

}  // namespace spoke
