#pragma once
// HttpServer: one evhttp instance on one loop, serving its listener share through a Router.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "reactor/event_loop.hpp"
#include "reactor/http_exchange.hpp"
#include "reactor/router.hpp"
#include "reactor/timer.hpp"

struct evhttp;
struct evhttp_bound_socket;
struct evconnlistener;

namespace spoke {

// Observes each finished exchange (access log, metrics). Called on the loop thread.
class ExchangeObserver {
  public:
    virtual ~ExchangeObserver() = default;
    virtual void on_reply(const HttpExchange& ex, int status, size_t body_bytes,
                          int64_t duration_ns) = 0;
};

struct HttpServerOptions {
    size_t max_body_bytes = 32u << 20;
    size_t max_header_bytes = 64u << 10;
    std::chrono::seconds io_timeout{15};  // evhttp read/write/idle timeout (2.1 has one)
    std::chrono::milliseconds request_deadline{
        15000};  // a handler that has not replied by then gets 503
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
    // Stop accepting: close the listener(s). Keep serving the open connections.
    void stop_accepting();
    // From now on every reply carries "Connection: close" (drain).
    void set_draining() { draining_ = true; }
    bool draining() const { return draining_; }

    // Requests accepted and not yet freed; readable from any thread (drain, metrics).
    size_t inflight() const { return live_count_.load(std::memory_order_relaxed); }
    EventLoop& loop() const { return loop_; }
    HttpExchange* find(uint64_t id) const;

  private:
    friend class HttpExchange;
    static void on_request(evhttp_request* req, void* arg);
    static void on_accept_error(evconnlistener* listener, void* arg);
    void handle(evhttp_request* req);
    void finished(HttpExchange& ex, int status, size_t body_bytes);  // called by HttpExchange::send
    void free_finished();

    EventLoop& loop_;
    const Router& router_;
    HttpServerOptions options_;
    ExchangeObserver* observer_;
    evhttp* http_ = nullptr;
    evhttp_bound_socket* bound_ = nullptr;
    bool draining_ = false;
    // Out of file descriptors: accepting pauses and this timer resumes it (libevent 2.1 would
    // otherwise retry accept() in a busy loop).
    std::unique_ptr<Timer> accept_retry_;
    uint64_t next_id_ = 1;
    struct Live {
        std::unique_ptr<HttpExchange> exchange;
        std::unique_ptr<Timer> deadline;
    };
    std::unordered_map<uint64_t, Live> live_;
    std::atomic<size_t> live_count_{0};
    // Replied exchanges, freed together on a later iteration (one deferred task per batch).
    std::vector<uint64_t> finished_;
};

}  // namespace spoke
