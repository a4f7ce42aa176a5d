// spoke-codegen-fixture: compiles the two-module code generation fixture (tests/codegen/fixture:
// `app` imports `base` and a well-known type) the way a push does, generates code for the
// languages asked for, and writes each as <out>/<language>[-grpc].zip and .tar.gz.
//
//   spoke-codegen-fixture FIXTURE_DIR OUT_DIR LANGUAGE[+grpc]...
//
// Prints one line per language with the file count and the generation time.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "registry/codegen/archive_writer.hpp"
#include "registry/codegen/generator_runner.hpp"
#include "registry/proto_compiler.hpp"
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
    CompileRequest request;
    request.files = testing::read_proto_module_dir(fixture / "app");
    request.dependencies = {base};
    Result<CompiledSchema> compiled = compile_schema(request, PushLimits{});
    if (!compiled) return fail("compile", compiled.error());

    const GeneratorRunner runner(LanguageCatalog::from_environment());
    for (int i = 3; i < argc; ++i) {
        std::string language = argv[i];
        const bool grpc = language.ends_with("+grpc");
        if (grpc) language.resize(language.size() - 5);
        const auto start = std::chrono::steady_clock::now();
        Result<GeneratedFiles> files =
            runner.generate({compiled->descriptor_set, {}}, language, grpc);
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (!files) return fail("generate " + std::string(argv[i]), files.error());
        const std::string stem = language + (grpc ? "-grpc" : "");
        for (ArchiveFormat format : {ArchiveFormat::Zip, ArchiveFormat::TarGz}) {
            Result<std::string> archive = write_archive(*files, format);
            if (!archive) return fail("archive " + stem, archive.error());
            const fs::path path = out / (stem + "." + std::string(archive_format_name(format)));
            if (!write_file(path, *archive)) {
                std::fprintf(stderr, "spoke-codegen-fixture: cannot write %s\n", path.c_str());
                return 1;
            }
        }
        std::printf("%s: %zu files in %.1f ms\n", argv[i], files->size(), ms);
    }
    return 0;
}
