#include "server/config.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "backends/redis/redis_target.hpp"
#include "handlers/client_address.hpp"
#include "services/rate_limit/rate_limit_policy.hpp"

extern char** environ;

namespace spoke {

namespace {

std::optional<uint64_t> parse_uint(std::string_view s) {
    uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(const std::string& s) {
    if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return false;
    return std::nullopt;
}

std::optional<LogLevel> parse_log_level(const std::string& s) {
    if (s == "debug") return LogLevel::Debug;
    if (s == "info") return LogLevel::Info;
    if (s == "warn" || s == "warning") return LogLevel::Warn;
    if (s == "error") return LogLevel::Error;
    return std::nullopt;
}

// Reads one variable into `out` with `parse`, or records an error naming it.
class Reader {
  public:
    Reader(const EnvLookup& env, std::vector<std::string>& errors) : env_(env), errors_(errors) {}

    std::optional<std::string> raw(const std::string& name) { return env_(name); }

    template <class T, class Parse>
    void read(const std::string& name, T& out, Parse parse, const char* expected) {
        auto v = env_(name);
        if (!v) return;
        if (auto parsed = parse(*v)) {
            out = *parsed;
        } else {
            errors_.push_back(name + ": \"" + *v + "\" is not " + expected);
        }
    }
    void fail(const std::string& line) { errors_.push_back(line); }

  private:
    const EnvLookup& env_;
    std::vector<std::string>& errors_;
};

std::optional<uint16_t> parse_port(const std::string& s) {
    auto v = parse_uint(s);
    if (!v || *v == 0 || *v > 65535) return std::nullopt;
    return static_cast<uint16_t>(*v);
}

std::optional<unsigned> parse_count(const std::string& s) {
    auto v = parse_uint(s);
    if (!v || *v == 0 || *v > 1024) return std::nullopt;
    return static_cast<unsigned>(*v);
}

std::optional<unsigned> parse_small_count(const std::string& s) {
    auto v = parse_uint(s);
    if (!v || *v > 1024) return std::nullopt;
    return static_cast<unsigned>(*v);
}

void read_otel(Reader& r, Config::Otel& o) {
    r.read("SPOKE_OTEL_ENABLED", o.enabled, parse_bool, "true or false");
    if (auto v = r.raw("SPOKE_OTEL_ENDPOINT")) o.endpoint = *v;
    if (auto v = r.raw("SPOKE_OTEL_SERVICE_NAME"); v && !v->empty()) o.service_name = *v;
    if (auto v = r.raw("SPOKE_OTEL_SERVICE_VERSION")) o.service_version = *v;
    r.read("SPOKE_OTEL_INSECURE", o.insecure, parse_bool, "true or false");
    if (!o.enabled) return;
    if (o.endpoint.empty()) {
        r.fail("SPOKE_OTEL_ENDPOINT: required when SPOKE_OTEL_ENABLED=true");
    } else if (!(o.endpoint.starts_with("http://") || o.endpoint.starts_with("https://"))) {
        r.fail("SPOKE_OTEL_ENDPOINT: \"" + o.endpoint + "\" is not an http(s):// URL");
    }
}

// Variables of the original Spoke's deployment guide that mean nothing in this design: accepted
// (format-checked) so its environment files work, and named at start-up with the reason.
struct InertVariable {
    const char* name;
    const char* reason;
};
const InertVariable kInertVariables[] = {
    {"SPOKE_REDIS_MAX_RETRIES",
     "Redis commands are not retried: past SPOKE_REDIS_TIMEOUT a command counts as a cache miss "
     "and the request goes on without Redis; reconnects are retried with backoff, without limit"},
    {"SPOKE_REDIS_POOL_SIZE",
     "there is no Redis pool: each event loop (SPOKE_THREADS) has one pipelined connection, and "
     "each instance one subscriber"},
};

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        std::string item = text.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!item.empty()) out.push_back(std::move(item));
        start = comma + 1;
    }
    return out;
}

// A connection string libpq cannot parse: its message, else nothing. Host names are fine: the
// connections resolve them without blocking (PgConnection).
std::optional<std::string> conninfo_problem(const std::string& conninfo) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (opts == nullptr) {
        std::string why = err != nullptr ? err : "cannot be parsed";
        PQfreemem(err);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        return why;
    }
    PQconninfoFree(opts);
    return std::nullopt;
}

// "30/m": at most 30 per minute (also /s, /h); "0" turns the limit off.
std::optional<std::pair<uint32_t, std::chrono::milliseconds>> parse_rate(const std::string& s) {
    if (s == "0") return std::pair{0u, std::chrono::milliseconds(60000)};
    const size_t slash = s.find('/');
    if (slash == std::string::npos) return std::nullopt;
    auto n = parse_uint(std::string_view(s).substr(0, slash));
    const std::string unit = s.substr(slash + 1);
    const int64_t ms = unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000 : 0;
    if (!n || *n == 0 || *n > 1'000'000 || ms == 0) return std::nullopt;
    return std::pair{static_cast<uint32_t>(*n), std::chrono::milliseconds(ms)};
}

void read_auth(Reader& r, AuthSettings& a) {
    const char* dur = "a duration (e.g. 250ms, 15s, 2m, 1h)";
    r.read("SPOKE_AUTH_ANONYMOUS_READ", a.anonymous_read, parse_bool, "true or false");
    r.read("SPOKE_AUTH_CACHE_TTL", a.cache_ttl, parse_duration, dur);
    if (auto v = r.raw("SPOKE_AUTH_FAILURE_LIMIT")) {
        if (auto rate = parse_rate(*v)) {
            a.failure_burst = rate->first;
            a.failure_period = rate->second;
        } else {
            r.fail("SPOKE_AUTH_FAILURE_LIMIT: \"" + *v + "\" is not a rate such as 30/m (or 0)");
        }
    }
    r.read("SPOKE_AUTH_LAST_USED_INTERVAL", a.last_used_interval, parse_duration, dur);
    if (auto v = r.raw("SPOKE_TRUSTED_PROXIES")) {
        for (const auto& item : split_list(*v)) {
            std::string address = canonical_address(item);
            if (address.empty()) {
                r.fail("SPOKE_TRUSTED_PROXIES: \"" + item +
                       "\" is not a numeric IPv4 or IPv6 address");
            } else {
                a.trusted_proxies.push_back(std::move(address));
            }
        }
    }
    if (a.cache_ttl > std::chrono::minutes(10)) {
        r.fail(
            "SPOKE_AUTH_CACHE_TTL: at most 10m (it bounds how long a revoked token still works)");
    }
    if (a.last_used_interval.count() == 0)
        r.fail("SPOKE_AUTH_LAST_USED_INTERVAL: must be positive");
    JwtSettings& jwt = a.jwt;
    if (auto v = r.raw("SPOKE_AUTH_JWT_KEYS")) jwt.keys_file = *v;
    if (auto v = r.raw("SPOKE_AUTH_JWT_ISSUER")) jwt.issuer = *v;
    if (auto v = r.raw("SPOKE_AUTH_JWT_AUDIENCE")) jwt.audience = *v;
    if (auto v = r.raw("SPOKE_AUTH_JWT_SCOPE_CLAIM")) jwt.scope_claim = *v;
    if (auto v = r.raw("SPOKE_AUTH_JWT_PREFIX_CLAIM")) jwt.prefix_claim = *v;
    std::chrono::milliseconds skew = jwt.clock_skew;
    r.read("SPOKE_AUTH_JWT_CLOCK_SKEW", skew, parse_duration, dur);
    if (skew > std::chrono::minutes(5)) r.fail("SPOKE_AUTH_JWT_CLOCK_SKEW: at most 5m");
    jwt.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(skew);
    if (!jwt.keys_file.empty()) {
        // Without both, a token an identity provider issued for another service would do.
        if (jwt.issuer.empty()) r.fail("SPOKE_AUTH_JWT_ISSUER: required with SPOKE_AUTH_JWT_KEYS");
        if (jwt.audience.empty()) {
            r.fail("SPOKE_AUTH_JWT_AUDIENCE: required with SPOKE_AUTH_JWT_KEYS");
        }
        if (jwt.scope_claim.empty()) r.fail("SPOKE_AUTH_JWT_SCOPE_CLAIM: must not be empty");
    }
}

void read_redis(Reader& r, Config& c) {
    const char* dur = "a duration (e.g. 250ms, 15s, 2m, 1h)";
    RedisConfig& redis = c.redis;
    if (auto v = r.raw("SPOKE_REDIS_URL"); v && !v->empty()) {
        if (auto target = parse_redis_url(*v); !target) {
            r.fail(target.error().message);
        } else {
            redis.url = *v;
        }
    }
    if (auto v = r.raw("SPOKE_REDIS_PASSWORD")) {
        redis.password = *v;
        // Given without a URL: listed (by name) among the unused settings.
        if (redis.url.empty()) c.other["SPOKE_REDIS_PASSWORD"] = "";
    }
    if (auto v = r.raw("SPOKE_REDIS_DB")) {
        auto db = parse_uint(*v);
        if (!db || *db > 15) {
            r.fail("SPOKE_REDIS_DB: \"" + *v + "\" is not a database number 0-15");
        } else {
            redis.db = static_cast<unsigned>(*db);
        }
    }
    r.read("SPOKE_REDIS_TIMEOUT", redis.timeout, parse_duration, dur);
    r.read("SPOKE_CACHE_TTL", redis.cache_ttl, parse_duration, dur);
    r.read("SPOKE_CACHE_STALE_BOUND", redis.stale_bound, parse_duration, dur);
    if (auto v = r.raw("SPOKE_RESOLV_CONF")) c.resolv_conf = *v;
    if (redis.timeout.count() == 0 || redis.timeout.count() > 10000) {
        r.fail("SPOKE_REDIS_TIMEOUT: must be between 1ms and 10s");
    }
    if (redis.cache_ttl.count() < 1000) r.fail("SPOKE_CACHE_TTL: must be at least 1s");
    if (redis.stale_bound.count() > 60000) r.fail("SPOKE_CACHE_STALE_BOUND: at most 1m");
    if (auto v = r.raw("SPOKE_RATE_LIMIT")) {
        if (!parse_rate_limit(*v)) {
            r.fail(
                "SPOKE_RATE_LIMIT: \"" + *v +
                "\" is not N/s, N/m or N/h with an optional :BURST (e.g. 100/s, 100/s:200), or 0");
        } else {
            c.rate_limit = *v;
        }
    }
}

void read_postgres_and_s3(Reader& r, Config& c) {
    const char* dur = "a duration (e.g. 250ms, 15s, 2m, 1h)";
    PostgresSettings& pg = c.postgres;
    if (auto v = r.raw("SPOKE_POSTGRES_URL")) pg.url = *v;
    if (auto v = r.raw("SPOKE_POSTGRES_REPLICA_URLS")) pg.replica_urls = split_list(*v);
    r.read("SPOKE_POSTGRES_MAX_CONNS", pg.max_conns, parse_count, "a connection count (1-1024)");
    r.read("SPOKE_POSTGRES_MIN_CONNS", pg.min_conns, parse_small_count,
           "a connection count (0-1024)");
    r.read("SPOKE_POSTGRES_TIMEOUT", pg.timeout, parse_duration, dur);
    r.read("SPOKE_POSTGRES_REPLICA_MAX_LAG", pg.replica_max_lag, parse_duration, dur);
    S3Settings& s3 = c.s3;
    if (auto v = r.raw("SPOKE_S3_ENDPOINT")) s3.endpoint = *v;
    if (auto v = r.raw("SPOKE_S3_REGION")) s3.region = *v;
    if (auto v = r.raw("SPOKE_S3_BUCKET")) s3.bucket = *v;
    if (auto v = r.raw("SPOKE_S3_ACCESS_KEY")) s3.access_key = *v;
    if (auto v = r.raw("SPOKE_S3_SECRET_KEY")) s3.secret_key = *v;
    r.read("SPOKE_S3_USE_PATH_STYLE", s3.path_style, parse_bool, "true or false");
    // The original Spoke parsed this one and ignored it; here it means what its name says.
    bool force_path_style = false;
    r.read("SPOKE_S3_FORCE_PATH_STYLE", force_path_style, parse_bool, "true or false");
    s3.path_style = s3.path_style || force_path_style;
    r.read("SPOKE_S3_TIMEOUT", s3.timeout, parse_duration, dur);
    r.read("SPOKE_BREAKER_OPEN_DURATION", c.breaker_open_duration, parse_duration, dur);
    if (c.storage_type != "postgres") return;

    if (pg.url.empty()) r.fail("SPOKE_POSTGRES_URL: required when SPOKE_STORAGE_TYPE=postgres");
    if (!pg.url.empty()) {
        if (auto why = conninfo_problem(pg.url)) r.fail("SPOKE_POSTGRES_URL: " + *why);
    }
    for (size_t i = 0; i < pg.replica_urls.size(); ++i) {
        if (auto why = conninfo_problem(pg.replica_urls[i])) {
            r.fail("SPOKE_POSTGRES_REPLICA_URLS: replica " + std::to_string(i + 1) + ": " + *why);
        }
    }
    if (pg.min_conns > pg.max_conns) {
        r.fail("SPOKE_POSTGRES_MIN_CONNS: larger than SPOKE_POSTGRES_MAX_CONNS");
    }
    if (pg.timeout.count() == 0) r.fail("SPOKE_POSTGRES_TIMEOUT: must be positive");
    if (s3.endpoint.empty()) {
        r.fail("SPOKE_S3_ENDPOINT: required when SPOKE_STORAGE_TYPE=postgres");
    } else if (!(s3.endpoint.starts_with("http://") || s3.endpoint.starts_with("https://")) ||
               s3.endpoint.find('/', s3.endpoint.find("//") + 2) != std::string::npos) {
        r.fail("SPOKE_S3_ENDPOINT: \"" + s3.endpoint +
               "\" is not http(s)://host[:port] without a path");
    }
    if (s3.bucket.empty()) r.fail("SPOKE_S3_BUCKET: required when SPOKE_STORAGE_TYPE=postgres");
    if (s3.access_key.empty() || s3.secret_key.empty()) {
        r.fail(
            "SPOKE_S3_ACCESS_KEY/SPOKE_S3_SECRET_KEY: required when SPOKE_STORAGE_TYPE=postgres");
    }
    if (s3.timeout.count() == 0) r.fail("SPOKE_S3_TIMEOUT: must be positive");
    if (c.breaker_open_duration.count() == 0) {
        r.fail("SPOKE_BREAKER_OPEN_DURATION: must be positive");
    }
}

}  // namespace

namespace {

// "15s" -> {15, "s"}; nullopt when there is no leading number.
std::optional<std::pair<uint64_t, std::string>> split_number_unit(const std::string& text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    auto n = parse_uint(std::string_view(text).substr(0, digits));
    if (!n) return std::nullopt;
    return std::pair{*n, text.substr(digits)};
}

// n * factor, or nullopt past `limit` (no overflow, no absurd values).
std::optional<uint64_t> scaled(uint64_t n, uint64_t factor, uint64_t limit) {
    if (n > limit / factor) return std::nullopt;
    return n * factor;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    // Go's form as well ("1m30s", "1.5s"), which the original Spoke's environment files use; the
    // result must be a whole number of milliseconds.
    static const std::map<std::string, uint64_t> kUnits{
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    constexpr uint64_t kLimit = uint64_t{1} << 40;
    if (text == "0") return std::chrono::milliseconds(0);
    auto digits_from = [&text](size_t i) {
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        return i;
    };
    uint64_t total = 0;
    size_t i = 0;
    if (text.empty()) return std::nullopt;
    while (i < text.size()) {
        size_t end = digits_from(i);
        auto whole = parse_uint(std::string_view(text).substr(i, end - i));
        if (!whole) return std::nullopt;
        i = end;
        std::string_view fraction;
        if (i < text.size() && text[i] == '.') {
            end = digits_from(i + 1);
            fraction = std::string_view(text).substr(i + 1, end - i - 1);
            if (fraction.empty() || fraction.size() > 9) return std::nullopt;
            i = end;
        }
        end = i;
        while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
        auto unit = kUnits.find(text.substr(i, end - i));
        if (unit == kUnits.end()) return std::nullopt;
        i = end;
        auto ms = scaled(*whole, unit->second, kLimit);
        if (!ms) return std::nullopt;
        uint64_t scale = 1;
        for (size_t d = 0; d < fraction.size(); ++d) scale *= 10;
        uint64_t part = fraction.empty() ? 0 : *parse_uint(fraction) * unit->second;
        if (part % scale != 0) return std::nullopt;  // finer than a millisecond
        total += *ms + part / scale;
        if (total > kLimit) return std::nullopt;
    }
    return std::chrono::milliseconds(total);
}

std::optional<uint64_t> parse_byte_size(const std::string& text) {
    static const std::map<std::string, uint64_t> kUnits{{"", 1},
                                                        {"B", 1},
                                                        {"K", 1ull << 10},
                                                        {"KB", 1ull << 10},
                                                        {"KiB", 1ull << 10},
                                                        {"M", 1ull << 20},
                                                        {"MB", 1ull << 20},
                                                        {"MiB", 1ull << 20},
                                                        {"G", 1ull << 30},
                                                        {"GB", 1ull << 30},
                                                        {"GiB", 1ull << 30}};
    auto parsed = split_number_unit(text);
    if (!parsed) return std::nullopt;
    auto it = kUnits.find(parsed->second);
    if (it == kUnits.end()) return std::nullopt;
    return scaled(parsed->first, it->second, uint64_t{1} << 50);
}

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

EnvLookup env_file_overlay(const std::string& path, std::vector<std::string>& errors) {
    std::map<std::string, std::string> values;
    std::ifstream in(path);
    if (!in) {
        errors.push_back("SPOKE_ENV_FILE: cannot read " + path);
    }
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        size_t eq = line.find('=', start);
        if (eq == std::string::npos) {
            errors.push_back(path + ":" + std::to_string(line_no) + ": expected KEY=VALUE");
            continue;
        }
        std::string key = line.substr(start, eq - start);
        std::string value = line.substr(eq + 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        }
        values[key] = value;
    }
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        if (auto it = values.find(name); it != values.end()) return it->second;
        return process_env()(name);
    };
}

Config load_config(const EnvLookup& env, std::vector<std::string>& errors) {
    Config c;
    Reader r(env, errors);
    if (auto v = r.raw("SPOKE_HOST")) {
        in6_addr probe{};
        // Numeric only: resolving a name would block and could change between restarts.
        if (inet_pton(AF_INET, v->c_str(), &probe) == 1 ||
            inet_pton(AF_INET6, v->c_str(), &probe) == 1) {
            c.host = *v;
        } else {
            r.fail("SPOKE_HOST: \"" + *v + "\" is not a numeric IPv4 or IPv6 address");
        }
    }
    r.read("SPOKE_PORT", c.port, parse_port, "a port (1-65535)");
    r.read("SPOKE_HEALTH_PORT", c.health_port, parse_port, "a port (1-65535)");
    r.read("SPOKE_THREADS", c.threads, parse_count, "a thread count (1-1024)");
    r.read("SPOKE_WORKER_THREADS", c.worker_threads, parse_count, "a thread count (1-1024)");
    if (auto v = r.raw("SPOKE_LISTENER")) {
        if (*v == "reuseport")
            c.reuse_port = true;
        else if (*v == "shared")
            c.reuse_port = false;
        else
            r.fail("SPOKE_LISTENER: \"" + *v + "\" is not reuseport or shared");
    }
    const char* dur = "a duration (e.g. 250ms, 15s, 2m, 1h)";
    r.read("SPOKE_READ_TIMEOUT", c.read_timeout, parse_duration, dur);
    r.read("SPOKE_WRITE_TIMEOUT", c.write_timeout, parse_duration, dur);
    r.read("SPOKE_IDLE_TIMEOUT", c.idle_timeout, parse_duration, dur);
    r.read("SPOKE_SHUTDOWN_TIMEOUT", c.shutdown_timeout, parse_duration, dur);
    c.request_timeout = c.write_timeout;
    r.read("SPOKE_REQUEST_TIMEOUT", c.request_timeout, parse_duration, dur);
    const char* size = "a size (e.g. 1048576, 512KiB, 32MiB)";
    r.read("SPOKE_MAX_BODY", c.max_body, parse_byte_size, size);
    r.read("SPOKE_HEADER_TIMEOUT", c.header_timeout, parse_duration, dur);
    r.read("SPOKE_MIN_BODY_RATE", c.min_body_rate, parse_byte_size,
           "a size per second (e.g. 16KiB)");
    r.read("SPOKE_MAX_HEADER_SIZE", c.max_header_size, parse_byte_size, size);
    r.read("SPOKE_MAX_HEADERS", c.max_headers, parse_uint, "a count");
    r.read("SPOKE_MAX_URL_LENGTH", c.max_url_length, parse_byte_size, size);
    c.max_connection_buffer = std::max<uint64_t>(c.max_connection_buffer, 2 * c.max_body);
    r.read("SPOKE_MAX_CONNECTION_BUFFER", c.max_connection_buffer, parse_byte_size, size);
    r.read("SPOKE_MAX_PIPELINE", c.max_pipeline, parse_uint, "a count");
    r.read("SPOKE_MAX_CONNECTIONS", c.max_connections, parse_uint, "a count");
    r.read("SPOKE_MAX_FILE_SIZE", c.max_file_bytes, parse_byte_size, size);
    r.read("SPOKE_MAX_FILES", c.max_files, parse_uint, "a count");
    r.read("SPOKE_CODEGEN_QUEUE", c.codegen_queue, parse_uint, "a count");
    r.read("SPOKE_CODEGEN_TIMEOUT", c.codegen_timeout, parse_duration, dur);
    r.read("SPOKE_WORK_QUEUE", c.work_queue, parse_uint, "a count");
    r.read("SPOKE_L1_CACHE_SIZE", c.l1_cache_size, parse_byte_size, size);
    r.read("SPOKE_CACHE_ENABLED", c.cache_enabled, parse_bool, "true or false");
    r.read("SPOKE_METRICS_ENABLED", c.metrics_enabled, parse_bool, "true or false");
    r.read("SPOKE_LOG_LEVEL", c.log_level, parse_log_level, "debug, info, warn or error");
    if (auto v = r.raw("SPOKE_STORAGE_TYPE")) {
        if (*v == "filesystem")
            c.storage_type = *v;
        else if (*v == "postgres" || *v == "hybrid")  // the original Spoke's name for the same
            c.storage_type = "postgres";
        else
            r.fail("SPOKE_STORAGE_TYPE: \"" + *v + "\" is not filesystem, postgres or hybrid");
    }
    if (auto v = r.raw("SPOKE_FILESYSTEM_ROOT")) {
        if (v->empty())
            r.fail("SPOKE_FILESYSTEM_ROOT: must not be empty");
        else
            c.filesystem_root = *v;
    }
    if (auto v = r.raw("SPOKE_ENV_FILE")) c.env_file = *v;
    read_postgres_and_s3(r, c);
    read_redis(r, c);
    read_auth(r, c.auth);
    read_otel(r, c.otel);
    for (const InertVariable& inert : kInertVariables) {
        uint64_t count = 0;
        r.read(inert.name, count, parse_uint, "a count");
        if (r.raw(inert.name)) c.inert[inert.name] = inert.reason;
    }

    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (c.threads == 0) c.threads = cores;
    if (c.worker_threads == 0) c.worker_threads = cores;
    if (c.port == c.health_port) {
        r.fail("SPOKE_HEALTH_PORT: must differ from SPOKE_PORT (both are " +
               std::to_string(c.port) + ")");
    }
    if (c.max_file_bytes > c.max_body) {
        r.fail("SPOKE_MAX_FILE_SIZE: larger than SPOKE_MAX_BODY");
    }
    if (c.shutdown_timeout.count() == 0) r.fail("SPOKE_SHUTDOWN_TIMEOUT: must be positive");
    for (const auto& [name, value] : {std::pair{"SPOKE_READ_TIMEOUT", c.read_timeout},
                                      {"SPOKE_WRITE_TIMEOUT", c.write_timeout},
                                      {"SPOKE_IDLE_TIMEOUT", c.idle_timeout},
                                      {"SPOKE_HEADER_TIMEOUT", c.header_timeout}}) {
        if (value.count() == 0) r.fail(std::string(name) + ": must be positive");
    }
    if (c.min_body_rate == 0) r.fail("SPOKE_MIN_BODY_RATE: must be positive");
    if (c.max_header_size < 1024 || c.max_header_size > (1u << 20)) {
        r.fail("SPOKE_MAX_HEADER_SIZE: must be between 1KiB and 1MiB");
    }
    if (c.max_headers == 0 || c.max_headers > 10000) {
        r.fail("SPOKE_MAX_HEADERS: must be between 1 and 10000");
    }
    if (c.max_url_length < 256 || c.max_url_length > c.max_header_size) {
        r.fail("SPOKE_MAX_URL_LENGTH: must be at least 256 and at most SPOKE_MAX_HEADER_SIZE");
    }
    if (c.max_connection_buffer < c.max_body) {
        r.fail("SPOKE_MAX_CONNECTION_BUFFER: smaller than SPOKE_MAX_BODY");
    }
    if (c.max_pipeline == 0 || c.max_pipeline > 1024) {
        r.fail("SPOKE_MAX_PIPELINE: must be between 1 and 1024");
    }
    if (c.max_connections == 0 || c.max_connections > 1000000) {
        r.fail("SPOKE_MAX_CONNECTIONS: must be between 1 and 1000000");
    }
    if (c.request_timeout.count() == 0) r.fail("SPOKE_REQUEST_TIMEOUT: must be positive");
    if (c.codegen_queue == 0 || c.codegen_queue > 100000) {
        r.fail("SPOKE_CODEGEN_QUEUE: must be between 1 and 100000");
    }
    if (c.codegen_timeout.count() == 0) r.fail("SPOKE_CODEGEN_TIMEOUT: must be positive");
    if (c.work_queue == 0 || c.work_queue > 100000) {
        r.fail("SPOKE_WORK_QUEUE: must be between 1 and 100000");
    }
    return c;
}

}  // namespace spoke
