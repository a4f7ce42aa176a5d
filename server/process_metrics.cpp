#include "server/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

namespace spoke {

namespace {

void append_sample(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, double value) {
    char number[64];
    std::snprintf(number, sizeof number, "%.17g", value);
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ").append(number).append("\n");
}

// Field `index` (1-based, as proc(5) numbers them) of /proc/self/stat. The command name (field 2)
// may hold spaces and parentheses, so fields are counted from its closing parenthesis.
std::optional<unsigned long long> stat_field(int index) {
    std::ifstream in("/proc/self/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    const size_t close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    for (int i = 3; fields >> field; ++i) {
        if (i != index) continue;
        char* end = nullptr;
        const unsigned long long value = std::strtoull(field.c_str(), &end, 10);
        if (end == field.c_str() || *end != '\0') return std::nullopt;
        return value;
    }
    return std::nullopt;
}

std::optional<unsigned long long> boot_time_seconds() {
    std::ifstream in("/proc/stat");
    std::string key;
    unsigned long long value = 0;
    while (in >> key) {
        if (key == "btime" && in >> value) return value;
        in.ignore(1 << 20, '\n');
    }
    return std::nullopt;
}

// Pages of virtual size and resident set from /proc/self/statm.
std::optional<std::pair<unsigned long long, unsigned long long>> memory_pages() {
    std::ifstream in("/proc/self/statm");
    unsigned long long size = 0, resident = 0;
    if (!(in >> size >> resident)) return std::nullopt;
    return std::make_pair(size, resident);
}

std::optional<long> open_descriptors() {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    long count = 0;
    while (const dirent* entry = readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
    return count - 1;  // the directory stream's own descriptor
}

}  // namespace

ProcessMetrics::ProcessMetrics() {
    const long ticks = sysconf(_SC_CLK_TCK);
    const auto started = stat_field(22);  // starttime: clock ticks after boot
    const auto boot = boot_time_seconds();
    if (ticks > 0 && started && boot) {
        start_time_seconds_ =
            static_cast<double>(*boot) + static_cast<double>(*started) / static_cast<double>(ticks);
    }
}

void ProcessMetrics::render(std::string& out) const {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        const double cpu =
            static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
        append_sample(out, "process_cpu_seconds_total", "counter",
                      "Total user and system CPU time spent in seconds.", cpu);
    }
    if (const auto pages = memory_pages()) {
        const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
        append_sample(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                      static_cast<double>(pages->first) * page);
        append_sample(out, "process_resident_memory_bytes", "gauge",
                      "Resident memory size in bytes.", static_cast<double>(pages->second) * page);
    }
    if (const auto open = open_descriptors()) {
        append_sample(out, "process_open_fds", "gauge", "Number of open file descriptors.",
                      static_cast<double>(*open));
    }
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
        append_sample(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
                      static_cast<double>(files.rlim_cur));
    }
    if (start_time_seconds_ > 0) {
        append_sample(out, "process_start_time_seconds", "gauge",
                      "Start time of the process since unix epoch in seconds.",
                      start_time_seconds_);
    }
}

}  // namespace spoke
