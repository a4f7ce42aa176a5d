#pragma once
// LanguageCatalog: the languages this process can generate code for, found once at start-up.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spoke {

// How a plugin's CodeGeneratorRequest.parameter is built.
enum class PluginParameters {
    None,
    // paths=source_relative plus an M<file>=<import path> for each file without a go_package,
    // so that pushed schemas that never thought of Go still generate.
    GoImportPaths,
};

// A protoc plugin binary found on the search path.
struct PluginTool {
    std::string path;  // absolute
    PluginParameters parameters = PluginParameters::None;
};

// One entry of GET /api/v1/languages, with what it takes to run it.
struct LanguageInfo {
    std::string id;    // "cpp", "python", "go", ...
    std::string name;  // "C++", "Python", "Go", ...
    std::vector<std::string> file_extensions;
    std::string generator;             // "libprotoc 3.21.12 in-process" or the plugin's path
    std::optional<PluginTool> plugin;  // empty for libprotoc's own generators
    std::optional<PluginTool> grpc_plugin;

    bool supports_grpc() const { return grpc_plugin.has_value(); }
};

// Immutable after discovery; share it between threads freely.
class LanguageCatalog {
  public:
    // libprotoc's languages always; gRPC per language when its Debian plugin binary
    // (grpc_cpp_plugin, grpc_java_plugin, grpc_python_plugin, ...) is in `search_path`; plugin
    // languages (go: protoc-gen-go, with protoc-gen-go-grpc for gRPC) when their binary is.
    // `search_path` is PATH-like (directories separated by ':'); relative entries are skipped.
    static LanguageCatalog discover(std::string_view search_path);
    // discover() over $PATH (or /usr/local/bin:/usr/bin:/bin when it is unset).
    static LanguageCatalog from_environment();

    // In-process languages first, then plugin languages, each group in a fixed order.
    const std::vector<LanguageInfo>& languages() const { return languages_; }
    const LanguageInfo* find(std::string_view id) const;

  private:
    std::vector<LanguageInfo> languages_;
};

}  // namespace spoke
