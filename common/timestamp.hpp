#pragma once
// Timestamps as users see them: RFC 3339 UTC with milliseconds ("2026-11-21T19:33:49.123Z").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spoke {

// Milliseconds since the Unix epoch (UTC); rendered as RFC 3339 with milliseconds.
using TimestampMs = int64_t;

std::string format_timestamp(TimestampMs ms);
// Parses what format_timestamp writes (the 'Z' form, milliseconds optional).
std::optional<TimestampMs> parse_timestamp(std::string_view text);

}  // namespace spoke
