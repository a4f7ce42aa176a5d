#include "server/api_loop.hpp"

#include <signal.h>

#include <cstdio>
#include <cstring>

#include "backends/cache/cached_storage.hpp"
#include "backends/cache/redis_shared_cache.hpp"
#include "backends/redis/redis_client.hpp"
#include "handlers/confluent_reply.hpp"
#include "handlers/error_response.hpp"
#include "handlers/json_codec.hpp"
#include "server/cluster_shared.hpp"
#include "server/span_exporter.hpp"
#include "services/rate_limit/rate_limiter.hpp"

namespace spoke {

namespace {
constexpr std::chrono::milliseconds kAccessLogFlushEvery{100};

HttpServerOptions http_options(const Config& config, HttpSharedState& shared) {
    HttpServerOptions o;
    o.limits.max_head_bytes = config.max_header_size;
    o.limits.max_headers = config.max_headers;
    o.limits.max_url_bytes = config.max_url_length;
    o.limits.max_body_bytes = config.max_body;
    o.max_connection_buffer = config.max_connection_buffer;
    o.max_pipeline = config.max_pipeline;
    o.header_timeout = config.header_timeout;
    o.read_timeout = config.read_timeout;
    o.min_body_rate = config.min_body_rate;
    o.idle_timeout = config.idle_timeout;
    o.write_timeout = config.write_timeout;
    o.request_deadline = config.request_timeout;
    o.budget = &shared.budget;
    o.counters = &shared.counters;
    o.accept_mutex = &shared.accept_mutex;
    o.traced = config.otel.enabled;
    return o;
}
}  // namespace

ApiLoop::ApiLoop(unsigned index, const Config& config, StorageBackend& backend, WorkerPool& pool,
                 ResponseCache& cache, const HandlerSettings& settings, CodegenService& codegen,
                 AppShared app)
    : loop_(index), settings_(settings), spans_(app.spans) {
    Storage* uncached = nullptr;
    loop_.resolver();  // reads the resolver configuration here, not on the loop
    storage_ = backend.attach(loop_, pool);
    if (app.cluster.redis) {
        redis_ = std::make_unique<RedisClient>(loop_, loop_.resolver(), *app.cluster.redis);
        if (app.cluster.coherent) {
            shared_cache_ = std::make_unique<RedisSharedCache>(*redis_, config.redis.cache_ttl,
                                                               app.cluster.l2_counters);
            storage_->use_shared_cache(shared_cache_.get());
        }
    }
    if (app.cluster.coherent) {
        auto cached = std::make_unique<CachedStorage>(loop_, std::move(storage_),
                                                      *app.cluster.coherent, redis_.get());
        uncached = &cached->uncached();
        storage_ = std::move(cached);
    }
    rate_limiter_ =
        std::make_unique<RateLimiter>(app.cluster.rate_policy, app.cluster.local_buckets,
                                      app.cluster.rate_counters, redis_.get());
    app_ = std::make_unique<Services>(ServiceEnv{loop_, pool, *storage_, settings_.limits,
                                                 app.admissions, app.descriptors, app.auth,
                                                 uncached, rate_limiter_.get()});
    services_ = std::make_unique<LoopServices>(
        LoopServices{loop_, pool, *storage_, cache, settings_, codegen});
    register_api_routes(router_, *services_, *app_, access_table_);
    router_.set_fallbacks(
        [](HttpExchange& ex, const RouteParams&) {
            if (is_confluent_path(ex.path())) return reply_confluent_not_found(ex);
            reply_route_not_found(ex);
        },
        [](HttpExchange& ex, const RouteParams& p) {
            // Confluent clients probe optional routes and fall back on a 404 only.
            if (is_confluent_path(ex.path())) return reply_confluent_not_found(ex);
            reply_method_not_allowed(ex, p.get("allow"));
        },
        [](HttpExchange& ex, const RouteParams&) {
            const Error bad =
                Error::bad_request("the request path has an invalid percent-encoding");
            if (is_confluent_path(ex.path())) return reply_confluent_error(ex, bad);
            reply_error(ex, bad);
        });
    metrics_ = std::make_unique<RequestMetrics>(router_.route_names());

    http_ = std::make_unique<HttpServer>(loop_, router_, http_options(config, app.http), this);

    log_flush_timer_ = std::make_unique<Timer>(loop_, [this] {
        access_log_.flush();
        log_flush_timer_->arm(kAccessLogFlushEvery);
    });
    log_flush_timer_->arm(kAccessLogFlushEvery);
}

ApiLoop::~ApiLoop() {
    // Order: the HTTP server (and its exchanges) before the storage they may reference.
    http_.reset();
    log_flush_timer_.reset();
    access_log_.flush();
    services_.reset();
    app_.reset();
    storage_.reset();
    rate_limiter_.reset();
    shared_cache_.reset();
    redis_.reset();
}

bool ApiLoop::start(int listen_fd, std::latch& started) {
    if (!http_->accept_on(listen_fd)) return false;
    started_ = &started;
    // API loops never take signals: the control thread owns them.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&thread_, nullptr, &ApiLoop::thread_main, this);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (rc != 0) {
        Log::write(LogLevel::Error, "cannot start an event loop thread",
                   {{"error", std::string_view(std::strerror(rc))}});
        return false;
    }
    running_ = true;
    return true;
}

void* ApiLoop::thread_main(void* arg) {
    auto* self = static_cast<ApiLoop*>(arg);
    self->loop_.post([self] {
        if (self->redis_) self->redis_->start();
        self->started_->count_down();
    });
    self->loop_.run();
    return nullptr;
}

void ApiLoop::begin_drain() {
    loop_.post([this] {
        http_->set_draining();
        http_->stop_accepting();
    });
}

void ApiLoop::redis_rediscover(const std::string& reason) {
    if (!redis_) return;
    loop_.post([this, reason] { redis_->rediscover(reason); });
}

void ApiLoop::join() {
    if (running_) pthread_join(thread_, nullptr);
    running_ = false;
}

void ApiLoop::on_reply(const HttpExchange& ex, int status, size_t body_bytes, int64_t duration_ns) {
    metrics_->record(ex.route_index(), status, duration_ns);
    if (spans_ != nullptr) export_span(ex, status, body_bytes, duration_ns);
    const bool changes_state = ex.route_index() < access_table_.size() &&
                               access_table_[ex.route_index()].access.changes_state();
    if (changes_state || ex.log_field("denied") != nullptr) write_audit_line(ex, status);
    if (!Log::enabled(LogLevel::Info)) return;
    std::string line;
    line.reserve(256);
    line += "{\"ts\":\"";
    line += format_timestamp(wall_ms());
    line += "\",\"level\":\"info\",\"msg\":\"access\",\"request_id\":";
    append_json_string(line, ex.request_id());
    line += ",\"method\":\"";
    line += method_name(ex.method());
    line += "\",\"path\":";
    append_json_string(line, ex.path());
    line += ",\"route\":";
    append_json_string(line, ex.route());
    line += ",\"status\":" + std::to_string(status);
    char dur[32];
    std::snprintf(dur, sizeof dur, "%.3f", static_cast<double>(duration_ns) / 1e6);
    line += ",\"duration_ms\":";
    line += dur;
    line += ",\"bytes\":" + std::to_string(body_bytes);
    line += ",\"loop\":" + std::to_string(loop_.index());
    line += ",\"trace_id\":\"";
    line += ex.trace().trace_id();
    line += "\",\"span_id\":\"";
    line += ex.trace().span_id();
    line += "\"";
    if (!ex.traceparent().empty()) {
        line += ",\"traceparent\":";
        append_json_string(line, ex.traceparent());
    }
    if (const std::string* who = ex.log_field("credential_id")) {
        line += ",\"credential_id\":";
        append_json_string(line, *who);
    }
    line += "}\n";
    access_log_.append(line);
}

void ApiLoop::write_audit_line(const HttpExchange& ex, int status) {
    // Always written, whatever SPOKE_LOG_LEVEL says: an audit trail with gaps is no trail.
    std::string line;
    line.reserve(384);
    line += "{\"ts\":\"";
    line += format_timestamp(wall_ms());
    line += "\",\"level\":\"info\",\"msg\":\"audit\",\"request_id\":";
    append_json_string(line, ex.request_id());
    line += ",\"trace_id\":\"";
    line += ex.trace().trace_id();
    line += "\",\"span_id\":\"";
    line += ex.trace().span_id();
    line += "\"";
    line += ",\"client\":";
    const std::string* client = ex.log_field("client");
    append_json_string(line, client != nullptr ? *client : ex.peer_address());
    for (std::string_view key :
         {"credential_id", "credential_name", "module", "version", "token_id"}) {
        if (const std::string* v = ex.log_field(key)) {
            line += ",\"";
            line += key;
            line += "\":";
            append_json_string(line, *v);
        }
    }
    line += ",\"method\":\"";
    line += method_name(ex.method());
    line += "\",\"route\":";
    append_json_string(line, ex.route());
    line += ",\"status\":" + std::to_string(status);
    line += ",\"result\":\"";
    if (const std::string* denied = ex.log_field("denied")) {
        line += "denied\",\"reason\":";
        append_json_string(line, *denied);
    } else {
        line += status < 400 ? "ok\"" : "failed\"";
    }
    line += "}\n";
    access_log_.append(line);
}

void ApiLoop::export_span(const HttpExchange& ex, int status, size_t body_bytes,
                          int64_t duration_ns) {
    const TraceContext& t = ex.trace();
    Span span;
    span.trace_id = t.trace_id();
    span.span_id = t.span_id();
    span.parent_span_id = t.parent_span_id();
    span.name = ex.route();  // the route template: low cardinality, as OpenTelemetry asks
    span.kind = Span::Kind::Server;
    span.end_unix_ns = wall_ns();
    span.start_unix_ns = span.end_unix_ns - duration_ns;
    span.error = status >= 500;
    span.attributes = {{"http.request.method", std::string(method_name(ex.method()))},
                       {"http.route", std::string(ex.route())},
                       {"url.path", std::string(ex.path())},
                       {"spoke.request_id", ex.request_id()}};
    span.int_attributes = {{"http.response.status_code", status},
                           {"http.response.body.size", static_cast<int64_t>(body_bytes)}};
    spans_->submit(std::move(span));
}

}  // namespace spoke
