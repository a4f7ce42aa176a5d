#include "services/codegen/artifact_key.hpp"

#include <algorithm>

#include "registry/digest.hpp"

namespace spoke {
namespace {

// Bumped whenever the way archives are made changes (file selection, archive layout), so that
// artifacts stored by an older build are not served for inputs that now give other bytes.
constexpr std::string_view kLayout = "spoke-codegen-artifact-v1";

// "name:<length>:value\n": no value can imitate a field boundary.
void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(1, ':').append(std::to_string(value.size())).append(1, ':');
    out.append(value).append(1, '\n');
}

}  // namespace

std::string generation_key(const GenerationInputs& inputs) {
    std::vector<std::string> deps = inputs.dependency_digests;
    std::sort(deps.begin(), deps.end());
    std::string text;
    append_field(text, "layout", kLayout);
    append_field(text, "version", inputs.version_digest);
    for (const std::string& d : deps) append_field(text, "dependency", d);
    append_field(text, "language", inputs.language);
    append_field(text, "grpc", inputs.include_grpc ? "true" : "false");
    append_field(text, "generator", inputs.generator);
    return sha256_hex(text);
}

std::string artifact_key(std::string_view generation_key, ArchiveFormat format) {
    std::string text;
    append_field(text, "generation", generation_key);
    append_field(text, "format", archive_format_name(format));
    return sha256_hex(text);
}

}  // namespace spoke
