#include "server/config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <thread>

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

// Variables of later features: format-checked now so a typo fails at start, used by later issues.
const char* const kDeferredVariables[] = {"SPOKE_POSTGRES_URL",       "SPOKE_POSTGRES_REPLICA_URLS",
                                          "SPOKE_POSTGRES_MAX_CONNS", "SPOKE_POSTGRES_MIN_CONNS",
                                          "SPOKE_POSTGRES_TIMEOUT",   "SPOKE_S3_ENDPOINT",
                                          "SPOKE_S3_REGION",          "SPOKE_S3_BUCKET",
                                          "SPOKE_S3_ACCESS_KEY",      "SPOKE_S3_SECRET_KEY",
                                          "SPOKE_S3_USE_PATH_STYLE",  "SPOKE_S3_TIMEOUT",
                                          "SPOKE_REDIS_URL",          "SPOKE_REDIS_PASSWORD",
                                          "SPOKE_REDIS_DB",           "SPOKE_REDIS_TIMEOUT",
                                          "SPOKE_CACHE_TTL",          "SPOKE_AUTH_ANONYMOUS_READ",
                                          "SPOKE_RATE_LIMIT",         "SPOKE_OTEL_ENABLED",
                                          "SPOKE_OTEL_ENDPOINT",      "SPOKE_OTEL_SERVICE_NAME"};

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
    static const std::map<std::string, uint64_t> kUnits{
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    auto parsed = split_number_unit(text);
    if (!parsed) return std::nullopt;
    auto [n, unit] = *parsed;
    if (unit.empty() && n == 0) return std::chrono::milliseconds(0);
    auto it = kUnits.find(unit);
    if (it == kUnits.end()) return std::nullopt;
    auto ms = scaled(n, it->second, uint64_t{1} << 40);
    if (!ms) return std::nullopt;
    return std::chrono::milliseconds(*ms);
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
    r.read("SPOKE_MAX_FILE_SIZE", c.max_file_bytes, parse_byte_size, size);
    r.read("SPOKE_MAX_FILES", c.max_files, parse_uint, "a count");
    r.read("SPOKE_L1_CACHE_SIZE", c.l1_cache_size, parse_byte_size, size);
    r.read("SPOKE_CACHE_ENABLED", c.cache_enabled, parse_bool, "true or false");
    r.read("SPOKE_METRICS_ENABLED", c.metrics_enabled, parse_bool, "true or false");
    r.read("SPOKE_LOG_LEVEL", c.log_level, parse_log_level, "debug, info, warn or error");
    if (auto v = r.raw("SPOKE_STORAGE_TYPE")) {
        if (*v == "filesystem")
            c.storage_type = *v;
        else if (*v == "postgres")
            r.fail(
                "SPOKE_STORAGE_TYPE: \"postgres\" is not available in this build yet (use "
                "filesystem)");
        else
            r.fail("SPOKE_STORAGE_TYPE: \"" + *v + "\" is not filesystem or postgres");
    }
    if (auto v = r.raw("SPOKE_FILESYSTEM_ROOT")) {
        if (v->empty())
            r.fail("SPOKE_FILESYSTEM_ROOT: must not be empty");
        else
            c.filesystem_root = *v;
    }
    if (auto v = r.raw("SPOKE_ENV_FILE")) c.env_file = *v;
    for (const char* name : kDeferredVariables) {
        if (auto v = r.raw(name)) c.other[name] = *v;
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
    if (c.request_timeout.count() == 0) r.fail("SPOKE_REQUEST_TIMEOUT: must be positive");
    return c;
}

}  // namespace spoke
