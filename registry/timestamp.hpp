#pragma once
// Timestamps as users see them: RFC 3339 UTC with milliseconds ("2026-11-21T19:33:49.123Z").

#include <optional>
#include <string>
#include <string_view>

#include "registry/model.hpp"

namespace spoke {

std::string format_timestamp(TimestampMs ms);
// Parses what format_timestamp writes (the 'Z' form, milliseconds optional).
std::optional<TimestampMs> parse_timestamp(std::string_view text);

}  // namespace spoke
