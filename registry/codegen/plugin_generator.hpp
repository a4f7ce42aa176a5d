#pragma once
// run_plugin_generator: one protoc plugin run through the plugin protocol, into memory.

#include <string>

#include "registry/codegen/linked_schema.hpp"
#include "registry/codegen/memory_generator_context.hpp"
#include "registry/codegen/plugin_process.hpp"
#include "common/result.hpp"

namespace spoke {

// Sends `program` a CodeGeneratorRequest (compiler_version of the linked libprotobuf,
// file_to_generate = the schema's targets, proto_file = their closure dependency-first,
// `parameter`) and applies the CodeGeneratorResponse's files to `context`. Errors: those of
// run_plugin_process; InvalidProto "generation failed: ..." when the plugin reports an error;
// Internal when its output is not a CodeGeneratorResponse.
Status run_plugin_generator(const std::string& program, const std::string& parameter,
                            const LinkedSchema& schema, const PluginProcessLimits& limits,
                            MemoryGeneratorContext& context);

}  // namespace spoke
