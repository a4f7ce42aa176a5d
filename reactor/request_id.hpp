#pragma once
// Request ids: the client's X-Request-Id when it is safe to echo and log, else one of ours.

#include <string>
#include <string_view>

namespace spoke {

// Short (1-128) and printable without quotes or backslashes: it reaches logs and headers.
bool acceptable_request_id(std::string_view v);
// Unique per process: 8 hex digits of a random prefix chosen at start, then 12 of a counter.
std::string generate_request_id();

}  // namespace spoke
