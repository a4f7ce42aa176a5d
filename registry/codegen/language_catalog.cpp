#include "registry/codegen/language_catalog.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "registry/codegen/inprocess_generators.hpp"

namespace spoke {
namespace {

// The gRPC plugins Debian's protobuf-compiler-grpc (cpp, python, php, ruby) and
// protobuf-compiler-grpc-java-plugin ship, plus the ones other gRPC builds install.
struct GrpcPluginName {
    std::string_view language;
    std::string_view binary;
};
constexpr GrpcPluginName kGrpcPlugins[] = {
    {"cpp", "grpc_cpp_plugin"},          {"java", "grpc_java_plugin"},
    {"kotlin", "grpc_java_plugin"},  // the Kotlin download carries the Java classes too
    {"python", "grpc_python_plugin"},    {"csharp", "grpc_csharp_plugin"},
    {"objc", "grpc_objective_c_plugin"}, {"php", "grpc_php_plugin"},
    {"ruby", "grpc_ruby_plugin"},
};

// Languages only a plugin generates.
struct PluginLanguage {
    std::string_view id;
    std::string_view name;
    std::vector<std::string> file_extensions;
    std::string_view binary;
    std::string_view grpc_binary;
    PluginParameters parameters;
};
const std::vector<PluginLanguage>& plugin_languages() {
    static const std::vector<PluginLanguage> languages = {
        {"go",
         "Go",
         {".go"},
         "protoc-gen-go",
         "protoc-gen-go-grpc",
         PluginParameters::GoImportPaths},
    };
    return languages;
}

bool is_runnable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

// The first `dir/binary` of the absolute directories of `search_path` that may be run (a
// regular file with the x permission for us).
std::optional<std::string> find_binary(std::string_view search_path, std::string_view binary) {
    size_t start = 0;
    while (start <= search_path.size()) {
        size_t end = search_path.find(':', start);
        if (end == std::string_view::npos) end = search_path.size();
        std::string dir(search_path.substr(start, end - start));
        start = end + 1;
        if (dir.empty() || dir.front() != '/') continue;  // a relative entry depends on the cwd
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        std::string candidate = dir + (dir == "/" ? "" : "/") + std::string(binary);
        if (is_runnable_file(candidate)) return candidate;
    }
    return std::nullopt;
}

std::optional<PluginTool> find_tool(std::string_view search_path, std::string_view binary,
                                    PluginParameters parameters) {
    if (binary.empty()) return std::nullopt;
    std::optional<std::string> path = find_binary(search_path, binary);
    if (!path) return std::nullopt;
    return PluginTool{std::move(*path), parameters};
}

}  // namespace

LanguageCatalog LanguageCatalog::discover(std::string_view search_path) {
    LanguageCatalog catalog;
    const std::string inprocess = inprocess_generator_description();
    for (const InProcessLanguage& l : inprocess_languages()) {
        LanguageInfo info{l.id, l.name, l.file_extensions, inprocess, std::nullopt, std::nullopt};
        for (const GrpcPluginName& g : kGrpcPlugins) {
            if (g.language == l.id) {
                info.grpc_plugin = find_tool(search_path, g.binary, PluginParameters::None);
            }
        }
        catalog.languages_.push_back(std::move(info));
    }
    for (const PluginLanguage& l : plugin_languages()) {
        std::optional<PluginTool> plugin = find_tool(search_path, l.binary, l.parameters);
        if (!plugin) continue;
        LanguageInfo info{
            std::string(l.id), std::string(l.name), l.file_extensions, plugin->path, plugin,
            std::nullopt};
        info.grpc_plugin = find_tool(search_path, l.grpc_binary, l.parameters);
        catalog.languages_.push_back(std::move(info));
    }
    return catalog;
}

LanguageCatalog LanguageCatalog::from_environment() {
    const char* path = std::getenv("PATH");
    return discover(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
}

const LanguageInfo* LanguageCatalog::find(std::string_view id) const {
    for (const LanguageInfo& l : languages_) {
        if (l.id == id) return &l;
    }
    return nullptr;
}

}  // namespace spoke
