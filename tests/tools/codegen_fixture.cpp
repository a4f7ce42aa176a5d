// spoke-codegen-fixture: generates the two-module code generation fixture (tests/codegen/fixture:
// `app` imports `base`, though not every file of it, and a well-known type) for the languages
// asked for, through the server's own path (generate_archives: compile as a push does, choose the
// files, generate, archive), and writes each as <out>/<language>[-grpc].zip and .tar.gz.
//
//   spoke-codegen-fixture FIXTURE_DIR OUT_DIR LANGUAGE[+grpc]...
//
// Prints one line per language with the archive sizes and the generation time.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "registry/codegen/generator_runner.hpp"
#include "services/codegen/codegen_generation.hpp"
#include "services/codegen/plugin_process.hpp"
#include "tests/support/proto_module_dir.hpp"

namespace fs = std::filesystem;
using namespace spoke;

namespace {

bool write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return static_cast<bool>(out);
}

int fail(const std::string& what, const Error& e) {
    std::fprintf(stderr, "spoke-codegen-fixture: %s: %s\n", what.c_str(), e.message.c_str());
    for (const auto& d : e.details) {
        std::fprintf(stderr, "  %s:%d:%d: %s\n", d.file.c_str(), d.line, d.column,
                     d.message.c_str());
    }
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s FIXTURE_DIR OUT_DIR LANGUAGE[+grpc]...\n", argv[0]);
        return 2;
    }
    const fs::path fixture = argv[1];
    const fs::path out = argv[2];
    fs::create_directories(out);

    auto base = std::make_shared<VersionSnapshot>();
    base->record.module_name = "fixture/base";
    base->record.version = "1.0.0";
    base->files = testing::read_proto_module_dir(fixture / "base");
    auto app = std::make_shared<VersionSnapshot>();
    app->record.module_name = "fixture/app";
    app->record.version = "1.0.0";
    app->files = testing::read_proto_module_dir(fixture / "app");

    const GeneratorRunner runner(LanguageCatalog::from_environment(), GenerationLimits{},
                                 run_plugin_process);
    for (int i = 3; i < argc; ++i) {
        std::string language = argv[i];
        const bool grpc = language.ends_with("+grpc");
        if (grpc) language.resize(language.size() - 5);
        const auto start = std::chrono::steady_clock::now();
        const GenerationJob job{app, {base}, language, grpc};
        Result<GeneratedArchives> archives =
            generate_archives(job, runner, PushLimits{}, std::chrono::minutes(5));
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (!archives) return fail("generate " + std::string(argv[i]), archives.error());
        const std::string stem = language + (grpc ? "-grpc" : "");
        for (ArchiveFormat format : {ArchiveFormat::Zip, ArchiveFormat::TarGz}) {
            const fs::path path = out / (stem + "." + std::string(archive_format_name(format)));
            if (!write_file(path, *archives->of(format).bytes)) {
                std::fprintf(stderr, "spoke-codegen-fixture: cannot write %s\n", path.c_str());
                return 1;
            }
        }
        std::printf("%s: %zu bytes (zip), %zu bytes (tar.gz) in %.1f ms\n", argv[i],
                    archives->zip.bytes->size(), archives->tar_gz.bytes->size(), ms);
    }
    return 0;
}
