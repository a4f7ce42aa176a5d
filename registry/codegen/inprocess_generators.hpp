#pragma once
// The code generators linked in from libprotoc, by language id.

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/codegen/memory_generator_context.hpp"

namespace spoke {

// One language libprotoc generates without a plugin.
struct InProcessLanguage {
    std::string id;                            // "cpp", "python", ...
    std::string name;                          // "C++", "Python", ...
    std::vector<std::string> file_extensions;  // of the files it writes
};

// Every language libprotoc ships: cpp, java, kotlin, python, csharp, objc, php, ruby.
const std::vector<InProcessLanguage>& inprocess_languages();

// "libprotoc 3.21.12 in-process", from the version this binary was built against.
std::string inprocess_generator_description();

// Runs libprotoc's generators for `language_id` over `files` into `context`. Errors:
// InvalidProto "generation failed: ..." when a generator rejects a file (e.g. PHP and proto2),
// NotFound for an id that is not in inprocess_languages(), Internal when libprotoc throws.
Status run_inprocess_generators(std::string_view language_id,
                                const std::vector<const google::protobuf::FileDescriptor*>& files,
                                MemoryGeneratorContext& context);

}  // namespace spoke
