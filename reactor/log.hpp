#pragma once
// Logging as JSON lines on stdout: Log for events (any thread), AccessLog for per-request lines.

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace spoke {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };
const char* log_level_name(LogLevel level);

// One "key": value pair of a log line.
struct LogField {
    std::string_view key;
    std::variant<std::string_view, int64_t, bool> value;
};

class Log {
  public:
    static void set_level(LogLevel level) { level_.store(level); }
    static LogLevel level() { return level_.load(); }
    static bool enabled(LogLevel level) { return level >= level_.load(); }
    // Writes one line: {"ts":..,"level":..,"msg":..,<fields>}. Thread-safe, unbuffered.
    static void write(LogLevel level, std::string_view msg,
                      std::initializer_list<LogField> fields = {});

  private:
    static std::atomic<LogLevel> level_;
};

// Appends `s` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

// Per-loop access log: lines are batched and written when the buffer fills or on flush(), so a
// busy loop makes one write() per batch instead of one per request.
class AccessLog {
  public:
    ~AccessLog() { flush(); }
    void append(std::string_view line);
    void flush();
    bool empty() const { return buffer_.empty(); }

  private:
    std::string buffer_;
};

// Writes all of `data` to stdout (retrying short writes).
void write_stdout(std::string_view data);

}  // namespace spoke
