#include "server/readiness_report.hpp"

#include "reactor/log.hpp"

namespace spoke {

ReadinessReport ReadinessReport::evaluate(
    const Result<std::vector<StorageCheck>>& storage,
    const std::optional<InvalidationSubscriber::Health>& redis, bool draining) {
    ReadinessReport report;
    report.draining = draining;
    if (storage.ok()) {
        report.checks = *storage;
    } else {
        report.checks.push_back({"storage", false, 0, storage.error().message, true, ""});
    }
    if (redis) {
        // Redis is never required: down means slower, not unready.
        report.checks.push_back({"redis", redis->up, redis->latency_ms, redis->error, false, ""});
    }
    return report;
}

bool ReadinessReport::ready() const {
    if (draining) return false;
    for (const auto& c : checks) {
        if (c.required && !c.up) return false;
    }
    return true;
}

const char* ReadinessReport::status() const {
    if (draining) return "draining";
    if (!ready()) return "not_ready";
    for (const auto& c : checks) {
        if (!c.up) return "degraded";
    }
    return "ready";
}

std::string ReadinessReport::json() const {
    std::string out = "{\"status\":\"";
    out += status();
    out += "\",\"checks\":{";
    bool first = true;
    for (const auto& c : checks) {
        if (!first) out += ",";
        first = false;
        append_json_string(out, c.name);
        out += ":{\"status\":";
        out += c.up ? "\"up\"" : "\"down\"";
        out += ",\"latency_ms\":" + std::to_string(c.latency_ms);
        if (!c.error.empty()) {
            out += ",\"error\":";
            append_json_string(out, c.error);
        }
        out += c.required ? ",\"required\":true" : ",\"required\":false";
        if (!c.breaker.empty()) {
            out += ",\"breaker\":";
            append_json_string(out, c.breaker);
        }
        out += "}";
    }
    out += "}}";
    return out;
}

void ReadinessReport::append_metrics(std::string& out) const {
    out +=
        "# HELP spoke_ready 1 when /health/ready answers 200 (every required dependency up, not "
        "draining).\n# TYPE spoke_ready gauge\n";
    out += ready() ? "spoke_ready 1\n" : "spoke_ready 0\n";
    out +=
        "# HELP spoke_dependency_up 1 when the readiness check of a dependency passes; "
        "required=\"false\" "
        "ones only degrade the service.\n# TYPE spoke_dependency_up gauge\n";
    for (const auto& c : checks) {
        out += "spoke_dependency_up{dependency=";
        append_json_string(out, c.name);
        out += c.required ? ",required=\"true\"} " : ",required=\"false\"} ";
        out += c.up ? "1\n" : "0\n";
    }
}

}  // namespace spoke
