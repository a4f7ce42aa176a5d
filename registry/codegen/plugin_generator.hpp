#pragma once
// run_plugin_generator: one protoc plugin run through the plugin protocol, into memory.

#include <string>

#include "common/result.hpp"
#include "registry/codegen/linked_schema.hpp"
#include "registry/codegen/memory_generator_context.hpp"
#include "registry/codegen/plugin_runner.hpp"

namespace spoke {

// Sends `program`, through `runner`, a CodeGeneratorRequest (compiler_version of the linked
// libprotobuf, file_to_generate = the schema's targets, proto_file = their closure
// dependency-first, `parameter`) and applies the CodeGeneratorResponse's files to `context`.
// Errors: those of `runner`; InvalidProto "generation failed: ..." when the plugin reports an
// error; Internal when its output is not a CodeGeneratorResponse.
Status run_plugin_generator(const PluginRunner& runner, const std::string& program,
                            const std::string& parameter, const LinkedSchema& schema,
                            const PluginRunLimits& limits, MemoryGeneratorContext& context);

}  // namespace spoke
