#pragma once
// ControlPlane: the main thread's loop. Owns signals, systemd notification and the watchdog, the
// health/metrics listener, reload and the drain-then-exit sequence. Talks to API loops only
// through their thread-safe calls (mailbox posts, atomic counters).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/http_server.hpp"
#include "reactor/router.hpp"
#include "reactor/timer.hpp"
#include "server/api_loop.hpp"
#include "server/config.hpp"
#include "server/process_metrics.hpp"
#include "server/readiness_report.hpp"
#include "server/systemd_notifier.hpp"

struct event;

namespace spoke {

class ResponseCache;
class DescriptorCache;
class CodegenService;
struct WorkAdmissions;
struct AuthShared;
struct ClusterShared;
class InvalidationSubscriber;
class SentinelWatcher;
class SpanExporter;

class ControlPlane {
  public:
    ControlPlane(Config& config, std::vector<std::unique_ptr<ApiLoop>>& loops,
                 StorageBackend& backend, WorkerPool& pool, const ResponseCache& cache,
                 const CodegenService& codegen, const WorkAdmissions& admissions,
                 const DescriptorCache& descriptors, const HttpSharedState& api_http,
                 AuthShared& auth, ClusterShared& cluster, const SpanExporter* spans);
    ~ControlPlane();

    // Serve health and metrics on `fd` (ownership passes).
    bool serve_health(int fd);
    // Announces readiness, then runs until the drain completes. Returns the exit code.
    int run();

    // A loop whose heartbeat is older than this is stalled (/health/live 503, no WATCHDOG=1).
    static constexpr int64_t kStalledAfterMs = 1000;

  private:
    enum class State { Running, Draining, Stopped };

    static void on_signal(int sig, short what, void* arg);
    void begin_shutdown(const char* reason);
    void check_drained();
    void finish();
    void reload();
    void watchdog_tick();
    bool loops_alive() const;
    std::string status_line() const;

    void handle_live(HttpExchange& ex);
    void handle_ready(HttpExchange& ex);
    void handle_metrics(HttpExchange& ex);
    // Runs the readiness checks (storage, its dependencies, Redis); `done` on this loop. The
    // newest result is kept for /metrics.
    void check_readiness(Callback<void(const ReadinessReport&)> done);
    // The periodic check (one at a time): spoke_ready stays current without Prometheus waiting.
    void refresh_readiness();
    std::string render_metrics() const;

    Config& config_;
    std::vector<std::unique_ptr<ApiLoop>>& loops_;
    WorkerPool& pool_;
    const ResponseCache& cache_;
    const CodegenService& codegen_;
    const WorkAdmissions& admissions_;
    const DescriptorCache& descriptors_;
    const HttpSharedState& api_http_;
    AuthShared& auth_;  // counters for /metrics; JWT keys reloaded on SIGHUP
    const StorageBackend& backend_;
    ClusterShared& cluster_;  // rate limit reloaded on SIGHUP; Redis state for health and metrics
    const SpanExporter* spans_;  // null unless SPOKE_OTEL_ENABLED
    EventLoop loop_;
    std::unique_ptr<Storage> storage_;                       // for readiness probes
    std::unique_ptr<InvalidationSubscriber> invalidations_;  // null without the coherent cache
    std::unique_ptr<SentinelWatcher> sentinel_watcher_;      // Sentinel URLs only
    SystemdNotifier notifier_;
    ProcessMetrics process_metrics_;
    Router router_;
    std::unique_ptr<HttpServer> health_;
    std::vector<event*> signal_events_;
    std::unique_ptr<Timer> watchdog_timer_;
    std::unique_ptr<Timer> drain_timer_;
    std::unique_ptr<Timer> readiness_timer_;
    std::optional<ReadinessReport> last_readiness_;  // null until the first check ends
    uint64_t readiness_started_ = 0;                 // checks started
    uint64_t readiness_kept_ = 0;                    // which one last_readiness_ is
    bool readiness_pending_ = false;                 // a periodic check is running
    State state_ = State::Running;
    int64_t drain_deadline_ms_ = 0;
    int64_t last_status_ms_ = 0;
    int exit_code_ = 0;
};

}  // namespace spoke
