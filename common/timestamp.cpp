#include "common/timestamp.hpp"

#include <cstdio>

namespace spoke {
namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

int64_t floor_div(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::string format_timestamp(TimestampMs ms) {
    const int64_t days = floor_div(ms, 86400000);
    const int64_t in_day = ms - days * 86400000;
    int64_t y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, y, m, d);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  static_cast<long long>(y), m, d, static_cast<int>(in_day / 3600000),
                  static_cast<int>(in_day / 60000 % 60), static_cast<int>(in_day / 1000 % 60),
                  static_cast<int>(in_day % 1000));
    return buf;
}

std::optional<TimestampMs> parse_timestamp(std::string_view t) {
    auto num = [&](size_t pos, size_t len) -> std::optional<int> {
        if (pos + len > t.size()) return std::nullopt;
        int v = 0;
        for (size_t i = pos; i < pos + len; ++i) {
            if (t[i] < '0' || t[i] > '9') return std::nullopt;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    };
    // YYYY-MM-DDTHH:MM:SS[.fff]Z
    if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
        t[13] != ':' || t[16] != ':') {
        return std::nullopt;
    }
    auto year = num(0, 4), month = num(5, 2), day = num(8, 2);
    auto hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    int millis = 0;
    size_t pos = 19;
    if (t[pos] == '.') {
        size_t digits = 0;
        ++pos;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
            if (digits < 3) millis = millis * 10 + (t[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (size_t k = digits; k < 3; ++k) millis *= 10;
    }
    if (pos + 1 != t.size() || (t[pos] != 'Z' && t[pos] != 'z')) return std::nullopt;
    const int64_t days =
        days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
    return ((days * 24 + *hour) * 60 + *minute) * 60000 + int64_t{*second} * 1000 + millis;
}

}  // namespace spoke
