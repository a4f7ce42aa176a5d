#pragma once
// ApiLoop: one API event loop and everything it owns (storage adapter, router, HTTP server,
// access log, metrics), running on its own thread from accept to last byte.

#include <pthread.h>

#include <latch>
#include <memory>
#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "handlers/auth_gate.hpp"
#include "handlers/loop_services.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/http_server.hpp"
#include "reactor/log.hpp"
#include "reactor/router.hpp"
#include "reactor/timer.hpp"
#include "server/config.hpp"
#include "server/request_metrics.hpp"
#include "services/services.hpp"

namespace spoke {

class SpanExporter;

struct ClusterShared;
class RedisClient;
class RateLimiter;
class SharedCache;

class ApiLoop final : public ExchangeObserver {
  public:
    // The process-wide state of the application services.
    struct AppShared {
        WorkAdmissions& admissions;
        DescriptorCache& descriptors;
        HttpSharedState& http;   // the connection cap and counters of the API listener
        AuthShared& auth;        // token cache, failed-authentication limiter, JWT keys
        ClusterShared& cluster;  // Redis, the coherent cache, rate limits
        SpanExporter* spans;     // null unless SPOKE_OTEL_ENABLED
    };

    // Builds everything on the calling thread; nothing runs until start().
    ApiLoop(unsigned index, const Config& config, StorageBackend& backend, WorkerPool& pool,
            ResponseCache& cache, const HandlerSettings& settings, CodegenService& codegen,
            AppShared app);
    ~ApiLoop() override;  // after join()

    // Serve `listen_fd` (ownership passes) on a new thread; counts `started` down once running.
    bool start(int listen_fd, std::latch& started);
    // Any thread: stop accepting, answer with "Connection: close" from now on.
    void begin_drain();
    // Any thread: this loop's Redis connection finds the master again (no-op without Redis).
    void redis_rediscover(const std::string& reason);
    // Any thread: leave the loop after the current iteration.
    void stop() { loop_.stop(); }
    void join();

    size_t inflight() const { return http_->inflight(); }
    int64_t last_heartbeat_ms() const { return loop_.last_heartbeat_ms(); }
    const RequestMetrics& metrics() const { return *metrics_; }

    void on_reply(const HttpExchange& ex, int status, size_t body_bytes,
                  int64_t duration_ns) override;

  private:
    static void* thread_main(void* arg);
    // One JSON line for every request that changes state and every refused one.
    void write_audit_line(const HttpExchange& ex, int status);
    // The request's server span, to the exporter.
    void export_span(const HttpExchange& ex, int status, size_t body_bytes, int64_t duration_ns);

    EventLoop loop_;
    // Before storage_ and app_, which refer to them.
    std::unique_ptr<RedisClient> redis_;  // null without Redis
    std::unique_ptr<RateLimiter> rate_limiter_;
    std::unique_ptr<SharedCache> shared_cache_;  // null without Redis
    std::unique_ptr<Storage> storage_;
    HandlerSettings settings_;
    std::unique_ptr<Services> app_;
    std::unique_ptr<LoopServices> services_;
    RouteAccessTable access_table_;  // before router_: the router's closures refer to it
    Router router_;
    std::unique_ptr<RequestMetrics> metrics_;
    AccessLog access_log_;
    std::unique_ptr<Timer> log_flush_timer_;
    std::unique_ptr<HttpServer> http_;
    SpanExporter* spans_ = nullptr;
    std::latch* started_ = nullptr;
    pthread_t thread_{};
    bool running_ = false;
};

}  // namespace spoke
