#include "registry/codegen/plugin_generator.hpp"

#include <google/protobuf/compiler/plugin.pb.h>
#include <google/protobuf/stubs/common.h>

namespace spoke {

namespace pbc = google::protobuf::compiler;

namespace {

pbc::CodeGeneratorRequest build_request(const std::string& parameter, const LinkedSchema& schema) {
    pbc::CodeGeneratorRequest request;
    for (const auto* file : schema.targets()) request.add_file_to_generate(file->name());
    if (!parameter.empty()) request.set_parameter(parameter);
    constexpr int v = GOOGLE_PROTOBUF_VERSION;  // e.g. 3021012
    pbc::Version* version = request.mutable_compiler_version();
    version->set_major(v / 1000000);
    version->set_minor(v / 1000 % 1000);
    version->set_patch(v % 1000);
    version->set_suffix("");
    for (const auto* proto : schema.closure()) *request.add_proto_file() = *proto;
    return request;
}

// How a plugin is named to clients: by its binary's name, never by where it is installed (the
// contract allows no filesystem path in a response).
std::string plugin_name(const std::string& program) {
    const size_t slash = program.rfind('/');
    return slash == std::string::npos ? program : program.substr(slash + 1);
}

}  // namespace

Status run_plugin_generator(const PluginRunner& runner, const std::string& program,
                            const std::string& parameter, const LinkedSchema& schema,
                            const PluginRunLimits& limits, MemoryGeneratorContext& context) {
    std::string input;
    if (!build_request(parameter, schema).SerializeToString(&input)) {
        return Error::internal("could not serialize the CodeGeneratorRequest");
    }
    Result<std::string> output = runner(program, input, limits);
    if (!output) return std::move(output).error();

    pbc::CodeGeneratorResponse response;
    if (!response.ParseFromString(*output)) {
        return Error::internal("plugin " + program + " wrote something that is not a " +
                               "CodeGeneratorResponse");
    }
    if (response.has_error()) {
        return Error{ErrorCode::InvalidProto,
                     "generation failed: " + plugin_name(program) + ": " + response.error(),
                     {}};
    }
    // plugin.proto: a file without a name continues the previous one (write or insertion).
    auto& files = *response.mutable_file();
    for (int i = 0; i < files.size(); ++i) {
        if (files[i].name().empty()) {
            return Error{ErrorCode::InvalidProto,
                         "generation failed: " + plugin_name(program) +
                             " continued a file before naming one",
                         {}};
        }
        auto& named = files[i];
        std::string content = std::move(*named.mutable_content());
        while (i + 1 < files.size() && files[i + 1].name().empty()) {
            content += files[++i].content();
        }
        if (named.insertion_point().empty()) {
            context.write(named.name(), std::move(content));
        } else {
            context.insert(named.name(), named.insertion_point(), std::move(content));
        }
        if (Status s = context.status(); !s) return s;
    }
    return ok_status();
}

}  // namespace spoke
