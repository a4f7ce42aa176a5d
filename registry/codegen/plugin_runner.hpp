#pragma once
// PluginRunner: how the registry's code generation gets a protoc plugin run (request bytes in,
// response bytes out) without starting processes itself; the layer that may start them supplies
// one (services/codegen/plugin_process.hpp).

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace spoke {

// Bounds on one plugin run.
struct PluginRunLimits {
    std::chrono::milliseconds deadline{std::chrono::seconds(60)};
    size_t max_output_bytes = 256u << 20;  // of what the plugin writes
};

// Runs `program` with `input` on its stdin and returns its stdout. Called from several worker
// threads at once. Errors: Unavailable when it cannot be started or the deadline passes;
// PayloadTooLarge past max_output_bytes; Internal when it fails (a message that may name the
// program's path and quote its stderr: for the log, not for clients).
using PluginRunner = std::function<Result<std::string>(
    const std::string& program, std::string_view input, const PluginRunLimits& limits)>;

}  // namespace spoke
