#include "server/control_plane.hpp"

#include <event2/event.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>

#include "backends/cache/invalidation_subscriber.hpp"
#include "backends/redis/sentinel_watcher.hpp"
#include "handlers/error_response.hpp"
#include "handlers/response_cache.hpp"
#include "reactor/log.hpp"
#include "reactor/worker_pool.hpp"
#include "server/cluster_shared.hpp"
#include "server/request_metrics.hpp"
#include "server/span_exporter.hpp"
#include "services/auth/auth_shared.hpp"
#include "services/codegen/codegen_service.hpp"
#include "services/descriptor_cache.hpp"
#include "services/work_admissions.hpp"

namespace spoke {

namespace {
constexpr std::string_view kJson = "application/json; charset=utf-8";
constexpr std::chrono::milliseconds kDrainPoll{20};
constexpr std::chrono::milliseconds kStatusEvery{5000};
// How often the readiness checks run for /metrics (besides every /health/ready).
constexpr std::chrono::milliseconds kReadinessEvery{5000};
constexpr size_t kHealthConnections = 64;
constexpr size_t kHealthReserveDescriptors = 4;
// One metric with its HELP and TYPE lines; `labels` without braces, may be empty.
void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::string_view labels, uint64_t value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name);
    if (!labels.empty()) out.append("{").append(labels).append("}");
    out.append(" ").append(std::to_string(value)).append("\n");
}

// spoke_codegen_jobs_total{language,outcome}: one sample per catalog language and outcome.
void append_codegen_metrics(const CodegenService& codegen, std::string& out) {
    constexpr std::string_view kJobs = "spoke_codegen_jobs_total";
    out.append("# HELP ").append(kJobs).append(
        " Code generation requests per language by outcome (cache_hit: found in storage; "
        "generated/failed: generations run; joined: waited for one in progress; rejected: "
        "queue full).\n");
    out.append("# TYPE ").append(kJobs).append(" counter\n");
    for (const LanguageInfo& l : codegen.catalog().languages()) {
        for (size_t i = 0; i < kCodegenOutcomes; ++i) {
            const auto outcome = static_cast<CodegenOutcome>(i);
            out.append(kJobs).append("{language=\"").append(l.id).append("\",outcome=\"");
            out.append(codegen_outcome_name(outcome)).append("\"} ");
            out.append(std::to_string(codegen.count(l, outcome))).append("\n");
        }
    }
    append_metric(out, "spoke_codegen_queue_depth", "gauge",
                  "Code generations admitted and not finished (SPOKE_CODEGEN_QUEUE bounds it).", "",
                  codegen.queue_depth());
}

// spoke_work_{inflight,rejected_total,skipped_total}{kind}: the admission of each kind of pool
// work the services queue (SPOKE_WORK_QUEUE bounds each).
void append_work_metrics(const WorkAdmissions& admissions, std::string& out) {
    struct Family {
        std::string_view name, type, help;
        uint64_t (*value)(const WorkAdmission&);
    };
    const Family families[] = {
        {"spoke_work_inflight", "gauge",
         "Pool jobs admitted and not finished, by kind (SPOKE_WORK_QUEUE bounds each).",
         [](const WorkAdmission& a) -> uint64_t { return a.in_flight(); }},
        {"spoke_work_rejected_total", "counter",
         "Pool jobs refused with 503 because their kind was at capacity.",
         [](const WorkAdmission& a) -> uint64_t { return a.rejected(); }},
        {"spoke_work_skipped_total", "counter",
         "Pool jobs skipped because their request was already answered.",
         [](const WorkAdmission& a) -> uint64_t { return a.skipped(); }},
    };
    for (const Family& f : families) {
        out.append("# HELP ").append(f.name).append(" ").append(f.help).append("\n");
        out.append("# TYPE ").append(f.name).append(" ").append(f.type).append("\n");
        for (const WorkAdmission* a : admissions.all()) {
            out.append(f.name).append("{kind=\"").append(a->kind()).append("\"} ");
            out.append(std::to_string(f.value(*a))).append("\n");
        }
    }
}

// One counter family with one sample per label value (`names[i]` counts `values[i]`).
template <size_t N>
void append_labeled_counters(std::string& out, std::string_view name, std::string_view help,
                             std::string_view label, const std::array<const char*, N>& names,
                             const std::array<std::atomic<uint64_t>, N>& values) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" counter\n");
    for (size_t i = 0; i < N; ++i) {
        out.append(name).append("{").append(label).append("=\"").append(names[i]).append("\"} ");
        out.append(std::to_string(values[i].load(std::memory_order_relaxed))).append("\n");
    }
}

// spoke_http_*: what the API listener's HTTP layer refused, timed out or lost.
void append_http_metrics(const HttpSharedState& http, std::string& out) {
    append_metric(out, "spoke_http_connections", "gauge",
                  "Open API connections (SPOKE_MAX_CONNECTIONS bounds them).", "",
                  http.budget.open());
    append_metric(out, "spoke_http_connections_accepted_total", "counter",
                  "API connections accepted.", "", http.counters.accepted.load());
    append_labeled_counters(out, "spoke_http_connections_rejected_total",
                            "New API connections closed at once, by reason.", "reason",
                            kHttpRejectionNames, http.counters.rejected);
    append_labeled_counters(out, "spoke_http_timeouts_total",
                            "API connections cut by a deadline, by kind.", "kind",
                            kHttpTimeoutNames, http.counters.timeouts);
    append_metric(out, "spoke_http_client_gone_total", "counter",
                  "Clients that disconnected while their request was being handled.", "",
                  http.counters.client_gone.load());
    append_metric(out, "spoke_http_protocol_errors_total", "counter",
                  "Requests refused by the HTTP layer (malformed, too large, too slow).", "",
                  http.counters.protocol_errors.load());
}

// spoke_auth_*: credentials accepted and refused (labels never carry a credential).
void append_auth_metrics(const AuthCounters& c, std::string& out) {
    out +=
        "# HELP spoke_auth_refused_total Requests refused by authentication or authorization, "
        "by reason.\n# TYPE spoke_auth_refused_total counter\n";
    for (size_t i = 0; i < c.refused.size(); ++i) {
        out += "spoke_auth_refused_total{reason=\"";
        out += auth_outcome_label(static_cast<AuthOutcome>(i));
        out += "\"} " + std::to_string(c.refused[i].load(std::memory_order_relaxed)) + "\n";
    }
    out +=
        "# HELP spoke_auth_accepted_total Requests with a valid credential, by kind.\n"
        "# TYPE spoke_auth_accepted_total counter\n";
    out +=
        "spoke_auth_accepted_total{kind=\"api_token\"} " + std::to_string(c.token_ok.load()) + "\n";
    out += "spoke_auth_accepted_total{kind=\"jwt\"} " + std::to_string(c.jwt_ok.load()) + "\n";
    append_metric(out, "spoke_auth_token_lookups_total", "counter",
                  "API token lookups that went to storage (token cache misses).", "",
                  c.lookups.load());
}

}  // namespace

ControlPlane::ControlPlane(Config& config, std::vector<std::unique_ptr<ApiLoop>>& loops,
                           StorageBackend& backend, WorkerPool& pool, const ResponseCache& cache,
                           const CodegenService& codegen, const WorkAdmissions& admissions,
                           const DescriptorCache& descriptors, const HttpSharedState& api_http,
                           AuthShared& auth, ClusterShared& cluster, const SpanExporter* spans)
    : config_(config),
      loops_(loops),
      pool_(pool),
      cache_(cache),
      codegen_(codegen),
      admissions_(admissions),
      descriptors_(descriptors),
      api_http_(api_http),
      auth_(auth),
      backend_(backend),
      cluster_(cluster),
      spans_(spans),
      loop_(static_cast<unsigned>(loops.size())) {
    storage_ = backend.attach_for_health(loop_, pool);
    loop_.resolver();  // reads the resolver configuration now
    if (cluster.coherent) {
        // Token revocations through other instances reach this one's token cache at once.
        invalidations_ = std::make_unique<InvalidationSubscriber>(
            loop_, loop_.resolver(), *cluster.redis, *cluster.coherent,
            [&auth] { auth.tokens.forget_all(); });
        invalidations_->start();
    }
    if (cluster.redis && cluster.redis->settings().target.sentinel()) {
        sentinel_watcher_ = std::make_unique<SentinelWatcher>(
            loop_, loop_.resolver(), *cluster.redis, [this](const std::string& change) {
                const std::string reason = "+switch-master " + change;
                for (auto& l : loops_) l->redis_rediscover(reason);
                if (invalidations_) invalidations_->rediscover(reason);
            });
        sentinel_watcher_->start();
    }
    router_.add(HttpMethod::Get, "/health/live",
                [this](HttpExchange& ex, const RouteParams&) { handle_live(ex); });
    router_.add(HttpMethod::Get, "/health/ready",
                [this](HttpExchange& ex, const RouteParams&) { handle_ready(ex); });
    router_.add(HttpMethod::Get, "/metrics",
                [this](HttpExchange& ex, const RouteParams&) { handle_metrics(ex); });
    router_.set_fallbacks([](HttpExchange& ex, const RouteParams&) { reply_route_not_found(ex); },
                          [](HttpExchange& ex, const RouteParams& p) {
                              reply_method_not_allowed(ex, p.get("allow"));
                          },
                          [](HttpExchange& ex, const RouteParams&) { reply_route_not_found(ex); });
    // The health listener has a connection cap and spare descriptors of its own: probes are
    // answered while the API is at SPOKE_MAX_CONNECTIONS or the process is out of descriptors.
    HttpServerOptions opts;
    opts.limits.max_body_bytes = 64 * 1024;
    opts.limits.max_head_bytes = config.max_header_size;
    opts.limits.max_headers = config.max_headers;
    opts.limits.max_url_bytes = config.max_url_length;
    opts.max_connection_buffer = 64 * 1024;
    opts.header_timeout = config.header_timeout;
    opts.read_timeout = config.read_timeout;
    opts.idle_timeout = config.idle_timeout;
    opts.write_timeout = config.write_timeout;
    opts.request_deadline = std::chrono::milliseconds(5000);
    opts.max_connections = kHealthConnections;
    opts.reserve_descriptors = kHealthReserveDescriptors;
    opts.serve_on_reserve = true;
    health_ = std::make_unique<HttpServer>(loop_, router_, opts, nullptr);

    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        event* ev = evsignal_new(loop_.base(), sig, &ControlPlane::on_signal, this);
        evsignal_add(ev, nullptr);
        signal_events_.push_back(ev);
    }
    watchdog_timer_ = std::make_unique<Timer>(loop_, [this] { watchdog_tick(); });
    drain_timer_ = std::make_unique<Timer>(loop_, [this] { check_drained(); });
    readiness_timer_ = std::make_unique<Timer>(loop_, [this] { refresh_readiness(); });
}

ControlPlane::~ControlPlane() {
    for (event* ev : signal_events_) event_free(ev);
    health_.reset();
    storage_.reset();
}

bool ControlPlane::serve_health(int fd) {
    return health_->accept_on(fd);
}

int ControlPlane::run() {
    notifier_.ready(status_line());
    Log::write(LogLevel::Info, "ready",
               {{"loops", static_cast<int64_t>(loops_.size())},
                {"port", static_cast<int64_t>(config_.port)},
                {"health_port", static_cast<int64_t>(config_.health_port)}});
    watchdog_tick();
    refresh_readiness();
    loop_.run();
    return exit_code_;
}

std::string ControlPlane::status_line() const {
    size_t inflight = 0;
    for (const auto& l : loops_) inflight += l->inflight();
    std::string s = state_ == State::Running ? "serving" : "draining";
    s += ": " + std::to_string(loops_.size()) + " loops, " + std::to_string(inflight) +
         " requests in flight";
    return s;
}

bool ControlPlane::loops_alive() const {
    const int64_t now = monotonic_ms();
    for (const auto& l : loops_) {
        if (now - l->last_heartbeat_ms() > kStalledAfterMs) return false;
    }
    return true;
}

void ControlPlane::watchdog_tick() {
    // Pings only while every loop has stamped its heartbeat: a wedged loop must get us restarted.
    const auto interval = notifier_.watchdog_interval();
    if (interval) {
        if (loops_alive()) {
            notifier_.watchdog();
        } else {
            Log::write(LogLevel::Warn, "an event loop is stalled: withholding WATCHDOG=1");
        }
    }
    const int64_t now = monotonic_ms();
    if (now - last_status_ms_ >= kStatusEvery.count()) {
        notifier_.status(status_line());
        last_status_ms_ = now;
    }
    const auto half = interval
                          ? std::chrono::duration_cast<std::chrono::milliseconds>(*interval) / 2
                          : kStatusEvery;
    watchdog_timer_->arm(std::max(half, std::chrono::milliseconds(10)));
}

void ControlPlane::on_signal(int sig, short, void* arg) {
    auto* self = static_cast<ControlPlane*>(arg);
    if (sig == SIGHUP) {
        self->reload();
        return;
    }
    if (self->state_ != State::Running) {
        // pgbouncer's convention: a second stop signal means stop now.
        Log::write(LogLevel::Warn, "second stop signal: exiting without waiting for requests");
        std::fflush(stdout);
        _exit(1);
    }
    self->begin_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void ControlPlane::begin_shutdown(const char* reason) {
    state_ = State::Draining;
    notifier_.stopping("draining after " + std::string(reason));
    Log::write(LogLevel::Info, "draining",
               {{"reason", std::string_view(reason)},
                {"timeout_ms", static_cast<int64_t>(config_.shutdown_timeout.count())}});
    for (auto& l : loops_) l->begin_drain();
    drain_deadline_ms_ = monotonic_ms() + config_.shutdown_timeout.count();
    drain_timer_->arm(kDrainPoll);
}

void ControlPlane::check_drained() {
    size_t inflight = 0;
    for (const auto& l : loops_) inflight += l->inflight();
    if (inflight == 0) {
        Log::write(LogLevel::Info, "drained");
        finish();
        return;
    }
    if (monotonic_ms() >= drain_deadline_ms_) {
        Log::write(LogLevel::Warn, "shutdown timeout: abandoning requests in flight",
                   {{"inflight", static_cast<int64_t>(inflight)}});
        finish();
        return;
    }
    drain_timer_->arm(kDrainPoll);
}

void ControlPlane::finish() {
    state_ = State::Stopped;
    for (auto& l : loops_) l->stop();
    event_base_loopbreak(loop_.base());
}

void ControlPlane::reload() {
    notifier_.reloading();
    if (auth_.jwt) {
        // The identity provider's keys rotate without a restart; a bad file keeps the old keys.
        if (Status s = auth_.jwt->reload(); !s) {
            Log::write(LogLevel::Error, "SIGHUP: JWT keys not reloaded; the previous keys stay",
                       {{"error", std::string_view(s.error().message)}});
        } else {
            Log::write(LogLevel::Info, "SIGHUP: JWT keys reloaded",
                       {{"file", std::string_view(config_.auth.jwt.keys_file)}});
        }
    }
    if (config_.env_file.empty()) {
        Log::write(LogLevel::Info, "SIGHUP: no SPOKE_ENV_FILE set, nothing to reload");
        notifier_.ready(status_line());
        return;
    }
    std::vector<std::string> errors;
    EnvLookup env = env_file_overlay(config_.env_file, errors);
    Config fresh = load_config(env, errors);
    if (!errors.empty()) {
        for (const auto& e : errors)
            Log::write(LogLevel::Error, "reload rejected", {{"error", std::string_view(e)}});
        notifier_.ready(status_line());
        return;
    }
    if (fresh.log_level != config_.log_level) {
        config_.log_level = fresh.log_level;
        Log::set_level(fresh.log_level);
        // Warn, so the notice shows whatever the new level is.
        Log::write(LogLevel::Warn, "log level changed",
                   {{"log_level", std::string_view(log_level_name(fresh.log_level))}});
    }
    auto needs_restart = [&](const char* name, bool changed) {
        if (changed)
            Log::write(LogLevel::Warn, "setting changed; takes effect after a restart",
                       {{"setting", std::string_view(name)}});
    };
    if (fresh.rate_limit != config_.rate_limit) {
        config_.rate_limit = fresh.rate_limit;
        auto limit = parse_rate_limit(fresh.rate_limit);
        cluster_.rate_policy.set(limit ? *limit : RateLimit{});
        Log::write(LogLevel::Info, "rate limit changed",
                   {{"rate_limit", std::string_view(fresh.rate_limit)}});
    }
    needs_restart("SPOKE_REDIS_URL", fresh.redis.url != config_.redis.url);
    needs_restart("SPOKE_REDIS_TIMEOUT", fresh.redis.timeout != config_.redis.timeout);
    needs_restart("SPOKE_HOST", fresh.host != config_.host);
    needs_restart("SPOKE_PORT", fresh.port != config_.port);
    needs_restart("SPOKE_HEALTH_PORT", fresh.health_port != config_.health_port);
    needs_restart("SPOKE_THREADS", fresh.threads != config_.threads);
    needs_restart("SPOKE_WORKER_THREADS", fresh.worker_threads != config_.worker_threads);
    needs_restart("SPOKE_STORAGE_TYPE", fresh.storage_type != config_.storage_type);
    needs_restart("SPOKE_FILESYSTEM_ROOT", fresh.filesystem_root != config_.filesystem_root);
    needs_restart("SPOKE_MAX_BODY", fresh.max_body != config_.max_body);
    needs_restart("SPOKE_L1_CACHE_SIZE", fresh.l1_cache_size != config_.l1_cache_size);
    needs_restart("SPOKE_REQUEST_TIMEOUT", fresh.request_timeout != config_.request_timeout);
    notifier_.ready(status_line());
}

void ControlPlane::handle_live(HttpExchange& ex) {
    if (loops_alive()) {
        ex.reply(200, kJson, R"({"status":"ok"})");
    } else {
        ex.reply(
            503, kJson,
            R"({"status":"stalled","error":"an event loop has not checked in for over a second"})");
    }
}

void ControlPlane::check_readiness(Callback<void(const ReadinessReport&)> done) {
    const uint64_t started = ++readiness_started_;
    storage_->check_health([this, started, done = std::move(done)](
                               Result<std::vector<StorageCheck>> checks) mutable {
        std::optional<InvalidationSubscriber::Health> redis;
        if (invalidations_) redis = invalidations_->health();
        ReadinessReport report = ReadinessReport::evaluate(checks, redis, state_ != State::Running);
        // Kept for /metrics unless a check started later has finished first.
        if (started > readiness_kept_) {
            readiness_kept_ = started;
            last_readiness_ = report;
        }
        done(report);
    });
}

void ControlPlane::refresh_readiness() {
    if (!readiness_pending_) {
        readiness_pending_ = true;
        check_readiness([this](const ReadinessReport&) { readiness_pending_ = false; });
    }
    readiness_timer_->arm(kReadinessEvery);
}

void ControlPlane::handle_ready(HttpExchange& ex) {
    check_readiness(
        [handle = ExchangeHandle(health_.get(), ex.id())](const ReadinessReport& report) {
            HttpExchange* live = handle.get();
            if (live == nullptr) return;
            live->reply(report.ready() ? 200 : 503, kJson, report.json());
        });
}

void ControlPlane::handle_metrics(HttpExchange& ex) {
    if (!config_.metrics_enabled) {
        reply_route_not_found(ex);
        return;
    }
    // Never waits on a dependency (a hung database must not make scrapes time out): spoke_ready
    // is the last readiness evaluation, by /health/ready or the periodic check.
    ex.reply(200, "text/plain; version=0.0.4; charset=utf-8", render_metrics());
}

std::string ControlPlane::render_metrics() const {
    std::vector<const RequestMetrics*> all;
    size_t inflight = 0;
    for (const auto& l : loops_) {
        all.push_back(&l->metrics());
        inflight += l->inflight();
    }
    std::string out;
    out.reserve(16 * 1024);
    RequestMetrics::render(all, out);
    append_metric(out, "spoke_http_inflight_requests", "gauge",
                  "Requests accepted and not yet finished.", "", inflight);
    append_metric(out, "spoke_event_loops", "gauge", "API event loops.", "", loops_.size());
    append_metric(out, "spoke_worker_queue_depth", "gauge", "Jobs waiting for a worker thread.", "",
                  pool_.queued());
    append_metric(out, "spoke_cache_hits_total", "counter", "Response cache hits by tier.",
                  "tier=\"l1\"", cache_.hits());
    append_metric(out, "spoke_cache_misses_total", "counter", "Response cache misses by tier.",
                  "tier=\"l1\"", cache_.misses());
    append_metric(out, "spoke_cache_bytes", "gauge", "Bytes held by the response cache.",
                  "tier=\"l1\"", cache_.bytes());
    append_metric(out, "spoke_descriptor_cache_hits_total", "counter",
                  "Compiled descriptor set cache hits.", "", descriptors_.hits());
    append_metric(out, "spoke_descriptor_cache_misses_total", "counter",
                  "Compiled descriptor set cache misses.", "", descriptors_.misses());
    append_metric(out, "spoke_descriptor_cache_bytes", "gauge",
                  "Bytes held by the compiled descriptor set cache.", "", descriptors_.bytes());
    append_http_metrics(api_http_, out);
    append_auth_metrics(auth_.counters, out);
    append_codegen_metrics(codegen_, out);
    append_work_metrics(admissions_, out);
    backend_.append_metrics(out);
    cluster_.append_metrics(out);
    append_metric(out, "spoke_draining", "gauge", "1 while the server drains before exit.", "",
                  state_ == State::Running ? 0 : 1);
    out += "# HELP spoke_build_info Build information.\n# TYPE spoke_build_info gauge\n";
    out += "spoke_build_info{version=\"" SPOKE_VERSION "\",storage=";
    append_json_string(out, config_.storage_type);
    out += "} 1\n";
    if (last_readiness_) {
        ReadinessReport readiness = *last_readiness_;
        readiness.draining = state_ != State::Running;
        readiness.append_metrics(out);
    }
    if (spans_ != nullptr) spans_->append_metrics(out);
    process_metrics_.render(out);
    return out;
}

}  // namespace spoke
