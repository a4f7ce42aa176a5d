#pragma once
// Config: every SPOKE_* setting, parsed and validated at start-up (and on SIGHUP for the live
// ones).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reactor/log.hpp"
#include "services/auth/auth_shared.hpp"

namespace spoke {

// SPOKE_POSTGRES_*: the metadata database of the postgres storage type.
struct PostgresSettings {
    std::string url;                                  // primary; several hosts allowed (failover)
    std::vector<std::string> replica_urls;            // read replicas
    unsigned max_conns = 20;                          // per process
    unsigned min_conns = 2;                           // per process
    std::chrono::milliseconds timeout{10000};         // connect and statement deadline
    std::chrono::milliseconds replica_max_lag{5000};  // a replica further behind is skipped
};

// SPOKE_S3_*: the object store of the postgres storage type.
struct S3Settings {
    std::string endpoint;  // http(s)://host[:port]
    std::string region = "us-east-1";
    std::string bucket;
    std::string access_key;
    std::string secret_key;
    bool path_style = false;
    std::chrono::milliseconds timeout{10000};
};

// SPOKE_REDIS_*, SPOKE_CACHE_*: the shared cache, the invalidation channel, shared rate limits.
struct RedisConfig {
    std::string url;  // empty: no Redis (everything per instance)
    std::string password;
    std::optional<unsigned> db;                   // SPOKE_REDIS_DB overrides the URL's
    std::chrono::milliseconds timeout{200};       // per command and per connect
    std::chrono::milliseconds cache_ttl{300000};  // SPOKE_CACHE_TTL: L2 entry lifetime
    std::chrono::milliseconds stale_bound{1000};  // SPOKE_CACHE_STALE_BOUND
};

struct Config {
    std::string host = "0.0.0.0";
    uint16_t port = 8080;
    uint16_t health_port = 9090;
    unsigned threads = 0;         // 0 before defaults are applied; then the number of cores
    unsigned worker_threads = 0;  // likewise
    bool reuse_port = true;       // SPOKE_LISTENER=reuseport|shared
    std::chrono::milliseconds read_timeout{15000};
    std::chrono::milliseconds write_timeout{15000};
    std::chrono::milliseconds idle_timeout{60000};
    std::chrono::milliseconds shutdown_timeout{30000};
    std::chrono::milliseconds request_timeout{15000};  // SPOKE_REQUEST_TIMEOUT: handler deadline
    uint64_t max_body = 32ull << 20;
    // The HTTP layer's limits (docs/configuration.md, "HTTP limits and deadlines").
    std::chrono::milliseconds header_timeout{10000};  // SPOKE_HEADER_TIMEOUT: whole request head
    uint64_t min_body_rate = 16 * 1024;               // SPOKE_MIN_BODY_RATE, bytes per second
    uint64_t max_header_size = 32 * 1024;             // SPOKE_MAX_HEADER_SIZE
    uint64_t max_headers = 100;                       // SPOKE_MAX_HEADERS
    uint64_t max_url_length = 8 * 1024;               // SPOKE_MAX_URL_LENGTH
    uint64_t max_connection_buffer = 64ull << 20;     // SPOKE_MAX_CONNECTION_BUFFER
    uint64_t max_pipeline = 16;                       // SPOKE_MAX_PIPELINE
    uint64_t max_connections = 10000;                 // SPOKE_MAX_CONNECTIONS, per process
    uint64_t max_file_bytes = 1ull << 20;             // SPOKE_MAX_FILE_SIZE
    uint64_t max_files = 2000;                        // SPOKE_MAX_FILES
    std::string storage_type = "filesystem";
    std::string filesystem_root = "./data";
    PostgresSettings postgres;
    S3Settings s3;
    // SPOKE_BREAKER_OPEN_DURATION: how long an open circuit breaker refuses calls before probing.
    std::chrono::milliseconds breaker_open_duration{60000};
    // SPOKE_CODEGEN_QUEUE: code generations admitted at once (waiting or running); past it 503.
    uint64_t codegen_queue = 64;
    // SPOKE_WORK_QUEUE: per kind of pool work (compile, lint, compatibility, validate), jobs
    // admitted at once (waiting or running); past it 503.
    uint64_t work_queue = 256;
    // SPOKE_CODEGEN_TIMEOUT: deadline of one generation (plugins are killed at it).
    std::chrono::milliseconds codegen_timeout{60000};
    uint64_t l1_cache_size = 64ull << 20;
    bool cache_enabled = true;
    RedisConfig redis;
    // SPOKE_RESOLV_CONF: where the loops' resolver finds its name servers (host names of
    // PostgreSQL and Redis); empty: /etc/resolv.conf.
    std::string resolv_conf;
    std::string rate_limit = "100/s";  // SPOKE_RATE_LIMIT, validated by parse_rate_limit
    LogLevel log_level = LogLevel::Info;
    bool metrics_enabled = true;
    std::string env_file;  // SPOKE_ENV_FILE: re-read on SIGHUP
    AuthSettings auth;     // SPOKE_AUTH_*
    // SPOKE_OTEL_*: trace export over OTLP/HTTP.
    struct Otel {
        bool enabled = false;
        std::string endpoint;  // the collector's base URL (spans go to <endpoint>/v1/traces)
        std::string service_name = "spoke-registry";
        std::string service_version;  // empty: the build's version
        bool insecure = false;        // https without certificate checks
    } otel;

    // Settings given but not used by this build (later storage backends, auth): kept for the
    // summary.
    std::map<std::string, std::string> other;
    // Variables given that have no meaning in this design, with the reason (logged at start-up).
    std::map<std::string, std::string> inert;
};

// Reads a variable: the environment by default; tests and SIGHUP reload pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();
// KEY=VALUE lines (comments, blank lines, optional quotes), overlaid on the process environment.
EnvLookup env_file_overlay(const std::string& path, std::vector<std::string>& errors);

// Parses and validates everything; `errors` gets one line per bad value ("SPOKE_PORT: ...").
Config load_config(const EnvLookup& env, std::vector<std::string>& errors);

// Parsers shared with tests: "15s", "250ms", "2m", "1h"; "32MiB", "64KiB", "1GiB", "1048576".
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
std::optional<uint64_t> parse_byte_size(const std::string& text);

}  // namespace spoke
