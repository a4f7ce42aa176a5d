#include "server/server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <latch>
#include <memory>
#include <vector>

#include "backends/filesystem/filesystem_backend.hpp"
#include "backends/postgres/postgres_backend.hpp"
#include "handlers/response_cache.hpp"
#include "reactor/host_resolver.hpp"
#include "reactor/listener.hpp"
#include "reactor/log.hpp"
#include "reactor/trace_scope.hpp"
#include "reactor/worker_pool.hpp"
#include "server/api_loop.hpp"
#include "server/cluster_shared.hpp"
#include "server/control_plane.hpp"
#include "server/socket_activation.hpp"
#include "server/span_exporter.hpp"
#include "server/variable_check.hpp"
#include "services/codegen/codegen_service.hpp"
#include "services/descriptor_cache.hpp"
#include "services/work_admissions.hpp"

namespace spoke {

namespace {

void log_config(const Config& c) {
    // Secrets (S3 keys, passwords, URLs with credentials) are never logged: only their presence.
    std::string other;
    for (const auto& [k, v] : c.other) other += (other.empty() ? "" : ",") + k;
    Log::write(LogLevel::Info, "configuration",
               {{"host", std::string_view(c.host)},
                {"port", static_cast<int64_t>(c.port)},
                {"health_port", static_cast<int64_t>(c.health_port)},
                {"threads", static_cast<int64_t>(c.threads)},
                {"worker_threads", static_cast<int64_t>(c.worker_threads)},
                {"listener", std::string_view(c.reuse_port ? "reuseport" : "shared")},
                {"storage_type", std::string_view(c.storage_type)},
                {"filesystem_root", std::string_view(c.filesystem_root)},
                // Connection strings may carry passwords: only counts and the public parts.
                {"postgres_url_set", !c.postgres.url.empty()},
                {"postgres_replicas", static_cast<int64_t>(c.postgres.replica_urls.size())},
                {"s3_endpoint", std::string_view(c.s3.endpoint)},
                {"s3_bucket", std::string_view(c.s3.bucket)},
                {"s3_credentials_set", !c.s3.access_key.empty() && !c.s3.secret_key.empty()},
                {"max_body", static_cast<int64_t>(c.max_body)},
                {"max_file_size", static_cast<int64_t>(c.max_file_bytes)},
                {"l1_cache_size", static_cast<int64_t>(c.l1_cache_size)},
                {"request_timeout_ms", static_cast<int64_t>(c.request_timeout.count())},
                {"shutdown_timeout_ms", static_cast<int64_t>(c.shutdown_timeout.count())},
                {"codegen_queue", static_cast<int64_t>(c.codegen_queue)},
                {"work_queue", static_cast<int64_t>(c.work_queue)},
                {"codegen_timeout_ms", static_cast<int64_t>(c.codegen_timeout.count())},
                {"log_level", std::string_view(log_level_name(c.log_level))},
                // The URL may hold a password: only whether Redis is used.
                {"redis_set", !c.redis.url.empty()},
                {"redis_timeout_ms", static_cast<int64_t>(c.redis.timeout.count())},
                {"cache_stale_bound_ms", static_cast<int64_t>(c.redis.stale_bound.count())},
                {"rate_limit", std::string_view(c.rate_limit)},
                {"ignored_until_supported", std::string_view(other)}});
}

// A typo in a variable name must not pass unnoticed: the setting it meant silently keeps its
// default.
void log_variables_not_used(const Config& c) {
    for (const UnknownVariable& u : unknown_variables(spoke_variable_names(environ))) {
        if (u.did_you_mean.empty()) {
            Log::write(LogLevel::Warn, "unknown configuration variable ignored",
                       {{"name", std::string_view(u.name)}});
        } else {
            Log::write(LogLevel::Warn, "unknown configuration variable ignored",
                       {{"name", std::string_view(u.name)},
                        {"did_you_mean", std::string_view(u.did_you_mean)}});
        }
    }
    for (const auto& [name, reason] : c.inert) {
        Log::write(LogLevel::Warn, "configuration variable has no meaning here",
                   {{"name", std::string_view(name)}, {"reason", std::string_view(reason)}});
    }
}

// One listening fd per loop: the activated socket (dup'd), SO_REUSEPORT sockets, or one shared
// socket.
Result<std::vector<int>> open_api_listeners(const Config& c, int activated) {
    std::vector<int> fds;
    if (activated >= 0) {
        fds.push_back(activated);
        for (unsigned i = 1; i < c.threads; ++i)
            fds.push_back(fcntl(activated, F_DUPFD_CLOEXEC, 0));
        return fds;
    }
    if (c.reuse_port) {
        for (unsigned i = 0; i < c.threads; ++i) {
            auto fd = listen_tcp(c.host, c.port, true);
            if (!fd) {
                for (int f : fds) close(f);
                return std::move(fd).error();
            }
            fds.push_back(*fd);
        }
        return fds;
    }
    auto fd = listen_tcp(c.host, c.port, false);
    if (!fd) return std::move(fd).error();
    for (unsigned i = 0; i < c.threads; ++i) fds.push_back(i == 0 ? *fd : dup(*fd));
    return fds;
}

// The languages this machine can generate, found once (plugins on $PATH) and logged.
LanguageCatalog discover_languages() {
    LanguageCatalog catalog = LanguageCatalog::from_environment();
    std::string ids;
    for (const LanguageInfo& l : catalog.languages()) {
        ids += (ids.empty() ? "" : ",") + l.id + (l.supports_grpc() ? "+grpc" : "");
    }
    Log::write(LogLevel::Info, "code generation languages", {{"languages", std::string_view(ids)}});
    return catalog;
}

CodegenSettings codegen_settings(const Config& c, const HandlerSettings& handlers) {
    CodegenSettings s;
    s.queue_capacity = static_cast<size_t>(c.codegen_queue);
    s.timeout = c.codegen_timeout;
    s.limits = handlers.limits;
    return s;
}

}  // namespace

PostgresBackendOptions postgres_options(const Config& c, size_t cache_bytes) {
    PostgresBackendOptions o;
    o.pool.primary_conninfo = c.postgres.url;
    o.pool.replica_conninfos = c.postgres.replica_urls;
    o.pool.max_conns = c.postgres.max_conns;
    o.pool.min_conns = c.postgres.min_conns;
    o.pool.timeouts = {c.postgres.timeout.count(), c.postgres.timeout.count()};
    o.pool.acquire_timeout_ms = c.postgres.timeout.count();
    o.pool.replica_max_lag_ms = c.postgres.replica_max_lag.count();
    o.pool.breaker.open_duration_ms = c.breaker_open_duration.count();
    o.loops = c.threads;
    o.s3.endpoint = c.s3.endpoint;
    o.s3.region = c.s3.region;
    o.s3.bucket = c.s3.bucket;
    o.s3.access_key = c.s3.access_key;
    o.s3.secret_key = c.s3.secret_key;
    o.s3.path_style = c.s3.path_style;
    o.s3.timeout_ms = c.s3.timeout.count();
    o.objects.breaker.open_duration_ms = c.breaker_open_duration.count();
    o.snapshot_cache_bytes = cache_bytes;
    o.startup_timeout = std::max(std::chrono::milliseconds(30000), 3 * c.postgres.timeout);
    return o;
}

int run_server(Config config) {
    Log::set_level(config.log_level);
    signal(SIGPIPE, SIG_IGN);
    HostResolver::set_resolv_conf(config.resolv_conf);
    log_config(config);
    log_variables_not_used(config);

    // SPOKE_L1_CACHE_SIZE bounds all in-process caching: half for stored contents, half for
    // rendered responses.
    const size_t cache_share = config.cache_enabled ? config.l1_cache_size / 2 : 0;
    auto backend = config.storage_type == "postgres"
                       ? open_postgres_backend(postgres_options(config, cache_share))
                       : open_filesystem_backend(config.filesystem_root, cache_share);
    if (!backend) {
        Log::write(LogLevel::Error, "cannot open storage",
                   {{"error", std::string_view(backend.error().message)}});
        return 1;
    }
    auto activated = take_activated_sockets();
    if (!activated) {
        Log::write(LogLevel::Error, "cannot use the sockets passed by systemd",
                   {{"error", std::string_view(activated.error().message)}});
        return 1;
    }
    if (activated->api >= 0) {
        Log::write(LogLevel::Info, "serving sockets passed by systemd (SPOKE_HOST/ports unused)",
                   {{"api", activated->api >= 0}, {"health", activated->health >= 0}});
    }
    auto listeners = open_api_listeners(config, activated->api);
    if (!listeners) {
        if (activated->health >= 0) close(activated->health);
        Log::write(LogLevel::Error, "cannot listen",
                   {{"error", std::string_view(listeners.error().message)}});
        return 1;
    }
    auto health_fd = activated->health >= 0 ? Result<int>(activated->health)
                                            : listen_tcp(config.host, config.health_port, false);
    if (!health_fd) {
        for (int fd : *listeners) close(fd);
        Log::write(LogLevel::Error, "cannot listen",
                   {{"error", std::string_view(health_fd.error().message)}});
        return 1;
    }

    HandlerSettings settings;
    settings.limits.max_file_bytes = config.max_file_bytes;
    settings.limits.max_files = config.max_files;
    settings.limits.max_total_bytes = config.max_body;

    auto pool = std::make_unique<WorkerPool>(config.worker_threads);
    // The rendered-response share is split in halves: rendered responses, and compiled
    // descriptor sets (both lived in one LRU before; with a quarter, a push's gate found the
    // previous versions' sets evicted under a 1000-module seeding and compiled them again).
    DescriptorCache descriptors(cache_share / 2);
    ResponseCache cache(cache_share - cache_share / 2);
    WorkAdmissions admissions(static_cast<size_t>(config.work_queue));
    CodegenService codegen(discover_languages(), *pool, codegen_settings(config, settings));
    HttpSharedState http_shared(static_cast<size_t>(config.max_connections));
    AuthShared auth(config.auth);
    if (!config.auth.jwt.keys_file.empty()) {
        auto verifier = JwtVerifier::create(config.auth.jwt);
        if (!verifier) {
            Log::write(LogLevel::Error, "cannot load the JWT keys (SPOKE_AUTH_JWT_KEYS)",
                       {{"error", std::string_view(verifier.error().message)}});
            return 1;
        }
        auth.jwt = std::move(*verifier);
    }
    ClusterShared cluster(config);
    // Outlives the loops, which queue spans into it; its destructor sends what is left.
    std::unique_ptr<SpanExporter> spans;
    if (config.otel.enabled) {
        SpanExporterSettings s;
        s.endpoint = config.otel.endpoint;
        s.service_name = config.otel.service_name;
        s.service_version =
            config.otel.service_version.empty() ? SPOKE_VERSION : config.otel.service_version;
        s.insecure = config.otel.insecure;
        spans = std::make_unique<SpanExporter>(std::move(s));
        install_span_sink(spans.get());
    }
    std::vector<std::unique_ptr<ApiLoop>> loops;
    for (unsigned i = 0; i < config.threads; ++i) {
        loops.push_back(std::make_unique<ApiLoop>(
            i, config, **backend, *pool, cache, settings, codegen,
            ApiLoop::AppShared{admissions, descriptors, http_shared, auth, cluster, spans.get()}));
    }
    int exit_code = 0;
    {
        ControlPlane control(config, loops, **backend, *pool, cache, codegen, admissions,
                             descriptors, http_shared, auth, cluster, spans.get());
        control.serve_health(*health_fd);
        std::latch started(static_cast<std::ptrdiff_t>(loops.size()));
        for (unsigned i = 0; i < loops.size(); ++i) {
            if (!loops[i]->start((*listeners)[i], started)) {
                Log::write(LogLevel::Error, "cannot start event loop");
                _exit(1);
            }
        }
        // READY=1 only once every loop is accepting.
        started.wait();
        exit_code = control.run();
        for (auto& l : loops) l->join();
    }
    // Workers may still post completions to the loops: join them before the loops go away.
    // Generations not yet started are dropped rather than run by the pool's drain.
    codegen.stop();
    pool.reset();
    loops.clear();
    install_span_sink(nullptr);  // nothing that could record a span is left
    Log::write(LogLevel::Info, "stopped", {{"exit_code", static_cast<int64_t>(exit_code)}});
    return exit_code;
}

}  // namespace spoke
