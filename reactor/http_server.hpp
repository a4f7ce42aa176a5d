#pragma once
// HttpServer: the HTTP/1.1 server of one loop. It accepts on its listener share (within the
// process's connection cap, with spare descriptors for EMFILE), owns the connections, and turns
// each complete request into an HttpExchange for the Router's handler.

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "reactor/defer_event.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/http_counters.hpp"
#include "reactor/http_exchange.hpp"
#include "reactor/http_request_parser.hpp"
#include "reactor/router.hpp"
#include "reactor/timer.hpp"

struct event;

namespace spoke {

class HttpConnection;

// Observes each finished exchange (access log, metrics). Called on the loop thread.
class ExchangeObserver {
  public:
    virtual ~ExchangeObserver() = default;
    virtual void on_reply(const HttpExchange& ex, int status, size_t body_bytes,
                          int64_t duration_ns) = 0;
};

struct HttpServerOptions {
    HttpParserLimits limits;
    size_t max_connection_buffer = 64u << 20;  // bodies held per connection (pipelining)
    size_t max_pipeline = 16;                  // complete requests queued per connection
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds read_timeout{15000};  // body: plus received / min_body_rate
    size_t min_body_rate = 16 * 1024;               // bytes per second
    std::chrono::milliseconds idle_timeout{60000};
    std::chrono::milliseconds write_timeout{15000};  // longest without write progress
    // A handler that has not replied by then gets 503.
    std::chrono::milliseconds request_deadline{15000};
    // Shared by the servers of one listener; null: a budget of this server's own.
    ConnectionBudget* budget = nullptr;
    size_t max_connections = 10000;  // when `budget` is null
    // Descriptors held open for EMFILE: one is released to accept (and close) a connection.
    size_t reserve_descriptors = 1;
    // Serve a connection accepted on a reserve descriptor (the health listener) instead of
    // closing it.
    bool serve_on_reserve = false;
    HttpCounters* counters = nullptr;  // null: counters of this server's own
    // Shared by the servers of one listener (HttpSharedState::accept_mutex); null: its own.
    std::mutex* accept_mutex = nullptr;
    // Each request's trace is current while its handler runs, so what it causes records child
    // spans (reactor/trace_scope.hpp); for a server whose observer exports the server spans.
    bool traced = false;
};

class HttpServer {
  public:
    HttpServer(EventLoop& loop, const Router& router, HttpServerOptions options,
               ExchangeObserver* observer);
    ~HttpServer();  // only after inflight() == 0, or the requests are abandoned with the loop
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Serve on an already listening, non-blocking socket; the server takes ownership of `fd`.
    bool accept_on(int fd);
    // Stop accepting: close the listener. Keep serving the open connections.
    void stop_accepting();
    // From now on every reply carries "Connection: close"; idle connections are closed.
    void set_draining();
    bool draining() const { return draining_; }

    // Requests accepted and not yet freed; readable from any thread (drain, metrics).
    size_t inflight() const { return live_count_.load(std::memory_order_relaxed); }
    size_t connections() const { return connections_.size(); }
    EventLoop& loop() const { return loop_; }
    HttpExchange* find(uint64_t id) const;
    const HttpServerOptions& options() const { return options_; }
    HttpCounters& counters() { return *counters_; }

  private:
    friend class HttpConnection;
    friend class HttpExchange;
    static void on_acceptable(int fd, short what, void* arg);
    void accept_some();
    void accept_on_reserve();
    void refill_reserve();
    void pause_accepting();
    void adopt(int fd, const sockaddr_storage& peer, bool on_reserve);

    // From HttpConnection.
    void dispatch(HttpConnection& conn, std::unique_ptr<HttpRequest> request);
    void connection_closed(HttpConnection& conn);
    // The client of `conn` left (or stopped sending) while its request was with a handler.
    void abandon_exchange(HttpConnection& conn);
    char* read_buffer() { return read_buffer_.get(); }
    static constexpr size_t kReadBufferSize = 64 * 1024;

    // From HttpExchange.
    void finished(HttpExchange& ex, int status, size_t body_bytes);
    void free_finished();
    void sweep();

    EventLoop& loop_;
    const Router& router_;
    HttpServerOptions options_;
    ExchangeObserver* observer_;
    std::unique_ptr<ConnectionBudget> own_budget_;
    std::unique_ptr<HttpCounters> own_counters_;
    ConnectionBudget* budget_;
    HttpCounters* counters_;
    int listen_fd_ = -1;
    event* accept_ev_ = nullptr;
    std::vector<int> reserve_;  // guarded by *accept_mutex_ while it is closed and reopened
    std::mutex own_accept_mutex_;
    std::mutex* accept_mutex_ = nullptr;
    bool draining_ = false;
    // Closes the connections still idle once the drain's grace is over (set_draining).
    std::unique_ptr<Timer> drain_idle_close_;
    // Out of descriptors with no reserve left: accepting pauses and this timer resumes it.
    std::unique_ptr<Timer> accept_retry_;
    std::unique_ptr<char[]> read_buffer_;

    uint64_t next_connection_id_ = 1;
    std::unordered_map<uint64_t, std::unique_ptr<HttpConnection>> connections_;
    std::vector<uint64_t> closed_connections_;  // freed together on a later iteration
    std::unique_ptr<Timer> sweep_timer_;

    uint64_t next_id_ = 1;
    struct Live {
        std::unique_ptr<HttpExchange> exchange;
        std::unique_ptr<Timer> deadline;
    };
    std::unordered_map<uint64_t, Live> live_;
    std::atomic<size_t> live_count_{0};
    // Replied exchanges, freed together on a later iteration (one deferred call per batch).
    std::vector<uint64_t> finished_;
    DeferEvent free_later_;
};

}  // namespace spoke
