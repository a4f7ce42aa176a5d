#include "reactor/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/timestamp.hpp"

namespace spoke {

std::atomic<LogLevel> Log::level_{LogLevel::Info};

namespace {
constexpr size_t kAccessLogFlushBytes = 16 * 1024;
std::mutex stdout_mutex;
}  // namespace

const char* log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warn:
            return "warn";
        case LogLevel::Error:
            return "error";
    }
    return "info";
}

void write_stdout(std::string_view data) {
    std::lock_guard lock(stdout_mutex);
    while (!data.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // stdout gone: logging must never take the server down
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void append_json_string(std::string& out, std::string_view s) {
    // Runs of characters that need no escape go in with one append: spans and access lines are
    // mostly such runs, and a character at a time was most of what encoding a span cost.
    out.push_back('"');
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default: {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void Log::write(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
    if (!enabled(level)) return;
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    std::string line = "{\"ts\":\"";
    line += format_timestamp(static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000);
    line += "\",\"level\":\"";
    line += log_level_name(level);
    line += "\",\"msg\":";
    append_json_string(line, msg);
    for (const auto& f : fields) {
        line.push_back(',');
        append_json_string(line, f.key);
        line.push_back(':');
        if (auto* s = std::get_if<std::string_view>(&f.value)) {
            append_json_string(line, *s);
        } else if (auto* i = std::get_if<int64_t>(&f.value)) {
            line += std::to_string(*i);
        } else {
            line += std::get<bool>(f.value) ? "true" : "false";
        }
    }
    line += "}\n";
    write_stdout(line);
}

void AccessLog::append(std::string_view line) {
    buffer_ += line;
    if (buffer_.size() >= kAccessLogFlushBytes) flush();
}

void AccessLog::flush() {
    if (buffer_.empty()) return;
    write_stdout(buffer_);
    buffer_.clear();
}

}  // namespace spoke
