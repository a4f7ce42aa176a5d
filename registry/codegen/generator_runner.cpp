#include "registry/codegen/generator_runner.hpp"

#include <exception>

#include "registry/codegen/inprocess_generators.hpp"
#include "registry/codegen/linked_schema.hpp"
#include "registry/codegen/memory_generator_context.hpp"
#include "registry/codegen/plugin_generator.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

// A Go import path for a file without go_package: its directory ("acme/billing/v1"), else its
// package as a path, else its name without ".proto". With paths=source_relative the output
// stays next to the .proto's path either way.
std::string go_import_path(const pb::FileDescriptorProto& file) {
    const std::string& name = file.name();
    const size_t slash = name.rfind('/');
    if (slash != std::string::npos && slash > 0) return name.substr(0, slash);
    if (!file.package().empty()) {
        std::string path = file.package();
        for (char& c : path) {
            if (c == '.') c = '/';
        }
        return path;
    }
    return name.ends_with(".proto") ? name.substr(0, name.size() - 6) : name;
}

std::string plugin_parameter(const PluginTool& tool, const LinkedSchema& schema) {
    switch (tool.parameters) {
        case PluginParameters::None:
            return {};
        case PluginParameters::GoImportPaths: {
            std::string parameter = "paths=source_relative";
            for (const pb::FileDescriptorProto* file : schema.closure()) {
                if (file->options().has_go_package()) continue;
                parameter += ",M" + file->name() + "=" + go_import_path(*file);
            }
            return parameter;
        }
    }
    return {};
}

Status run_plugin(const PluginRunner& runner, const PluginTool& tool, const LinkedSchema& schema,
                  const GenerationLimits& limits, MemoryGeneratorContext& context) {
    if (!runner) return Error::unavailable("this process runs no plugins (" + tool.path + ")");
    // Each run may use the rest of the output budget.
    const size_t used = context.total_bytes();
    const size_t budget = used < limits.max_output_bytes ? limits.max_output_bytes - used : 0;
    // The response's framing adds a little to the files' bytes.
    const PluginRunLimits run_limits{limits.plugin_deadline, budget + (budget / 8) + 4096};
    return run_plugin_generator(runner, tool.path, plugin_parameter(tool, schema), schema,
                                run_limits, context);
}

Result<GeneratedFiles> generate_unchecked(const LanguageInfo& language,
                                          const GenerationInput& input, bool include_grpc,
                                          const GenerationLimits& limits,
                                          const PluginRunner& plugins) {
    Result<std::unique_ptr<LinkedSchema>> schema =
        LinkedSchema::load(input.descriptor_set, input.files_to_generate);
    if (!schema) return std::move(schema).error();
    const LinkedSchema& linked = **schema;
    MemoryGeneratorContext context(linked.targets());

    Status status = language.plugin
                        ? run_plugin(plugins, *language.plugin, linked, limits, context)
                        : run_inprocess_generators(language.id, linked.targets(), context);
    if (!status) return std::move(status).error();
    if (include_grpc) {
        if (Status s = run_plugin(plugins, *language.grpc_plugin, linked, limits, context); !s) {
            return std::move(s).error();
        }
    }
    if (context.total_bytes() > limits.max_output_bytes) {
        return Error{ErrorCode::PayloadTooLarge,
                     "the generated " + language.name + " code is larger than " +
                         std::to_string(limits.max_output_bytes) + " bytes",
                     {}};
    }
    return context.take_files();
}

}  // namespace

Result<GeneratedFiles> GeneratorRunner::generate(const GenerationInput& input,
                                                 std::string_view language,
                                                 bool include_grpc) const {
    const LanguageInfo* info = catalog_.find(language);
    if (info == nullptr) {
        return Error::not_found("language " + quote_value(language) +
                                " is not one this server generates (see /api/v1/languages)");
    }
    if (include_grpc && !info->supports_grpc()) {
        return Error::bad_request("include_grpc: this server has no gRPC generator for " +
                                  info->name);
    }
    try {
        return generate_unchecked(*info, input, include_grpc, limits_, plugins_);
    } catch (const std::exception& e) {
        return Error::internal(std::string("code generation failed: ") + e.what());
    }
}

}  // namespace spoke
