#pragma once
// run_plugin_process: one run of an external generator binary as a child process, bytes in on
// stdin, bytes out; the PluginRunner this process gives the registry's GeneratorRunner.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "registry/codegen/plugin_runner.hpp"

namespace spoke {

// Starts `program` (no arguments, this process's environment, default signal dispositions, in a
// process group of its own), writes `input` to its stdin while reading its stdout and stderr,
// and returns stdout once it exits with status 0. Blocking: call it on a worker thread.
// The child is always reaped; on any failure its whole process group is killed first.
// Errors: Unavailable when it cannot be started or the deadline passes; PayloadTooLarge when
// stdout exceeds max_output_bytes; Internal when it exits with a non-zero status or a signal
// (the message ends with the tail of its stderr).
Result<std::string> run_plugin_process(const std::string& program, std::string_view input,
                                       const PluginRunLimits& limits);

}  // namespace spoke
