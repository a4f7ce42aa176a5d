#pragma once
// GeneratorRunner: generates a compiled schema's code for one language, in memory.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/codegen/generated_files.hpp"
#include "registry/codegen/language_catalog.hpp"
#include "registry/codegen/plugin_runner.hpp"

namespace spoke {

// What to generate from: a serialized FileDescriptorSet as compile_schema produces (every file,
// dependency-first, well-known types included) and the files to generate code for (the
// version's own files and its dependencies' files). An empty list means every file of the set
// that is not a well-known type. Each file's code lands under that file's own path.
struct GenerationInput {
    std::string descriptor_set;
    std::vector<std::string> files_to_generate;
};

// Bounds on one generation.
struct GenerationLimits {
    std::chrono::milliseconds plugin_deadline{std::chrono::seconds(60)};  // per plugin run
    size_t max_output_bytes = 256u << 20;  // all generated files together
};

// Runs libprotoc's generators in-process and plugins through the plugin protocol, each plugin
// run handed to the injected PluginRunner. CPU-heavy and blocking (plugins are child
// processes): call it on a WorkerPool thread.
class GeneratorRunner {
  public:
    // Without `plugins`, the catalog's plugin languages (and gRPC) are Unavailable: only
    // libprotoc's own generators run.
    explicit GeneratorRunner(LanguageCatalog catalog, GenerationLimits limits = {},
                             PluginRunner plugins = {})
        : catalog_(std::move(catalog)), limits_(limits), plugins_(std::move(plugins)) {}

    const LanguageCatalog& catalog() const { return catalog_; }

    // The generated files, sorted by path; with `include_grpc`, the gRPC stubs too. Errors:
    // NotFound for a language not in the catalog; BadRequest for include_grpc on a language
    // without a gRPC plugin; InvalidProto "generation failed: ..." when a generator rejects the
    // schema; Unavailable when a plugin cannot be started or misses its deadline (or this
    // runner has no PluginRunner);
    // PayloadTooLarge past max_output_bytes; Internal otherwise (a set that does not link, a
    // plugin that crashes).
    Result<GeneratedFiles> generate(const GenerationInput& input, std::string_view language,
                                    bool include_grpc) const;

  private:
    LanguageCatalog catalog_;
    GenerationLimits limits_;
    PluginRunner plugins_;
};

}  // namespace spoke
