#include "registry/codegen/inprocess_generators.hpp"

#include <google/protobuf/compiler/cpp/generator.h>
#include <google/protobuf/compiler/csharp/csharp_generator.h>
#include <google/protobuf/compiler/java/generator.h>
#include <google/protobuf/compiler/java/kotlin_generator.h>
#include <google/protobuf/compiler/objectivec/objectivec_generator.h>
#include <google/protobuf/compiler/php/php_generator.h>
#include <google/protobuf/compiler/python/generator.h>
#include <google/protobuf/compiler/python/pyi_generator.h>
#include <google/protobuf/compiler/ruby/ruby_generator.h>
#include <google/protobuf/stubs/common.h>

#include <exception>
#include <memory>

namespace spoke {
namespace {

namespace pb = google::protobuf;
namespace pbc = google::protobuf::compiler;

// One libprotoc generator run, as one `--X_out=PARAMETER:` of protoc.
struct GeneratorStep {
    std::unique_ptr<pbc::CodeGenerator> generator;
    std::string parameter;
};

template <class G>
GeneratorStep step(std::string parameter = {}) {
    return {std::make_unique<G>(), std::move(parameter)};
}

std::vector<GeneratorStep> steps_for(std::string_view id) {
    std::vector<GeneratorStep> steps;
    if (id == "cpp") {
        steps.push_back(step<pbc::cpp::CppGenerator>());
    } else if (id == "java") {
        steps.push_back(step<pbc::java::JavaGenerator>());
    } else if (id == "kotlin") {
        // Kotlin output is a DSL over the Java classes and does not compile without them.
        steps.push_back(step<pbc::java::JavaGenerator>());
        steps.push_back(step<pbc::java::KotlinGenerator>());
    } else if (id == "python") {
        steps.push_back(step<pbc::python::Generator>());
        steps.push_back(step<pbc::python::PyiGenerator>());
    } else if (id == "csharp") {
        // An (empty) base namespace puts each file under its namespace's directories, so that
        // two protos named types.proto in different packages do not both become Types.cs.
        steps.push_back(step<pbc::csharp::Generator>("base_namespace="));
    } else if (id == "objc") {
        steps.push_back(step<pbc::objectivec::ObjectiveCGenerator>());
    } else if (id == "php") {
        steps.push_back(step<pbc::php::Generator>());
    } else if (id == "ruby") {
        steps.push_back(step<pbc::ruby::Generator>());
    }
    return steps;
}

Error generation_failed(std::string_view id, const std::string& message) {
    return Error{
        ErrorCode::InvalidProto, "generation failed: " + std::string(id) + ": " + message, {}};
}

}  // namespace

const std::vector<InProcessLanguage>& inprocess_languages() {
    static const std::vector<InProcessLanguage> languages = {
        {"cpp", "C++", {".h", ".cc"}},
        {"java", "Java", {".java"}},
        {"kotlin", "Kotlin", {".kt", ".java"}},
        {"python", "Python", {".py", ".pyi"}},
        {"csharp", "C#", {".cs"}},
        {"objc", "Objective-C", {".h", ".m"}},
        {"php", "PHP", {".php"}},
        {"ruby", "Ruby", {".rb"}},
    };
    return languages;
}

std::string inprocess_generator_description() {
    constexpr int v = GOOGLE_PROTOBUF_VERSION;  // e.g. 3021012
    return "libprotoc " + std::to_string(v / 1000000) + "." + std::to_string(v / 1000 % 1000) +
           "." + std::to_string(v % 1000) + " in-process";
}

Status run_inprocess_generators(std::string_view language_id,
                                const std::vector<const pb::FileDescriptor*>& files,
                                MemoryGeneratorContext& context) {
    std::vector<GeneratorStep> steps = steps_for(language_id);
    if (steps.empty()) {
        return Error::not_found("language " + quote_value(language_id) +
                                " has no in-process generator");
    }
    for (const GeneratorStep& s : steps) {
        std::string error;
        bool generated = false;
        try {
            generated = s.generator->GenerateAll(files, s.parameter, &context, &error);
        } catch (const std::exception& e) {
            return Error::internal("libprotoc " + std::string(language_id) +
                                   " generator failed: " + e.what());
        }
        if (!generated) return generation_failed(language_id, error);
        if (Status st = context.status(); !st) return st;
    }
    return ok_status();
}

}  // namespace spoke
