// spoke-codegen-bench: times in-process code generation of one module for C++, Python and Java,
// for bench/codegen.sh to set against `protoc` on the same files. Prints numbers, judges none.
//
//   spoke-codegen-bench MODULE_DIR REPEATS [--source-info] [--write OUT_DIR]
//
// One warm-up run, then REPEATS runs; each run compiles the module's .proto files (parse + link,
// compile_schema, as a push and the server's code generation job do) and generates cpp, python
// and java from that run's descriptor set with GeneratorRunner, then packs each language as the
// server stores it (zip and tar.gz). Per run it prints one line of milliseconds:
//
//   run N compile_ms C cpp_ms X python_ms Y java_ms Z generate_ms X+Y+Z archive_ms A
//
// and at the end the medians, and the generated file count and bytes per language.
// --source-info compiles with source info (doc comments reach the output, as with protoc;
// the server compiles without). --write puts the last run's files under OUT_DIR, to be compared
// with protoc's output.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "registry/codegen/archive_writer.hpp"
#include "registry/codegen/generator_runner.hpp"
#include "registry/proto_compiler.hpp"
#include "tests/support/proto_module_dir.hpp"

namespace fs = std::filesystem;
using namespace spoke;

namespace {

constexpr const char* kLanguages[] = {"cpp", "python", "java"};
constexpr size_t kLanguageCount = std::size(kLanguages);

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int fail(const std::string& what, const Error& e) {
    std::fprintf(stderr, "spoke-codegen-bench: %s: %s\n", what.c_str(), e.message.c_str());
    for (const auto& d : e.details) {
        std::fprintf(stderr, "  %s:%d:%d: %s\n", d.file.c_str(), d.line, d.column,
                     d.message.c_str());
    }
    return 1;
}

struct RunTimes {
    double compile_ms = 0;
    double language_ms[kLanguageCount] = {};
    double archive_ms = 0;

    double generate_ms() const {
        double sum = 0;
        for (double ms : language_ms) sum += ms;
        return sum;
    }
};

struct RunOutput {
    RunTimes times;
    GeneratedFiles files[kLanguageCount];
};

Result<RunOutput> run_once(const CompileRequest& request, const GeneratorRunner& runner) {
    RunOutput out;
    auto start = Clock::now();
    Result<CompiledSchema> compiled = compile_schema(request, PushLimits{});
    if (!compiled) return std::move(compiled).error();
    out.times.compile_ms = ms_since(start);
    for (size_t i = 0; i < kLanguageCount; ++i) {
        start = Clock::now();
        Result<GeneratedFiles> files =
            runner.generate({compiled->descriptor_set, {}}, kLanguages[i], false);
        if (!files) return std::move(files).error();
        out.times.language_ms[i] = ms_since(start);
        out.files[i] = std::move(*files);
    }
    // What the server adds before storing an artifact: both archive formats of each language.
    start = Clock::now();
    for (const GeneratedFiles& files : out.files) {
        for (ArchiveFormat format : {ArchiveFormat::Zip, ArchiveFormat::TarGz}) {
            Result<std::string> archive = write_archive(files, format);
            if (!archive) return std::move(archive).error();
        }
    }
    out.times.archive_ms = ms_since(start);
    return out;
}

// `generate_ms`: the run's sum; for the median row the median of the sums.
void print_run(const char* label, const RunTimes& t, double generate_ms) {
    std::printf("%s compile_ms %.1f", label, t.compile_ms);
    for (size_t i = 0; i < kLanguageCount; ++i) {
        std::printf(" %s_ms %.1f", kLanguages[i], t.language_ms[i]);
    }
    std::printf(" generate_ms %.1f archive_ms %.1f\n", generate_ms, t.archive_ms);
    std::fflush(stdout);
}

bool write_files(const fs::path& out, const GeneratedFiles& files) {
    for (const auto& [path, content] : files) {
        const fs::path target = out / path;
        fs::create_directories(target.parent_path());
        std::ofstream f(target, std::ios::binary);
        f << content;
        if (!f) return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODULE_DIR REPEATS [--source-info] [--write OUT_DIR]\n",
                     argv[0]);
        return 2;
    }
    const fs::path module = argv[1];
    const int repeats = std::atoi(argv[2]);
    CompileRequest request;
    fs::path write_dir;
    for (int i = 3; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--source-info") {
            request.include_source_info = true;
        } else if (arg == "--write" && i + 1 < argc) {
            write_dir = argv[++i];
        } else {
            std::fprintf(stderr, "spoke-codegen-bench: unknown argument %s\n", arg.c_str());
            return 2;
        }
    }
    if (repeats < 1) {
        std::fprintf(stderr, "spoke-codegen-bench: REPEATS must be at least 1\n");
        return 2;
    }
    request.files = testing::read_proto_module_dir(module);
    if (request.files.empty()) {
        std::fprintf(stderr, "spoke-codegen-bench: no .proto files under %s\n", module.c_str());
        return 1;
    }
    size_t input_bytes = 0;
    for (const ProtoFile& f : request.files) input_bytes += f.content.size();
    std::printf("module %zu files %zu bytes source_info %d\n", request.files.size(), input_bytes,
                request.include_source_info ? 1 : 0);

    const GeneratorRunner runner(LanguageCatalog::from_environment());
    // The first run pays for first-touch allocations and page faults: shown, not counted.
    Result<RunOutput> warm = run_once(request, runner);
    if (!warm) return fail("warm-up", warm.error());
    print_run("warmup", warm->times, warm->times.generate_ms());

    std::vector<RunTimes> runs;
    RunOutput last;
    for (int r = 1; r <= repeats; ++r) {
        Result<RunOutput> out = run_once(request, runner);
        if (!out) return fail("run " + std::to_string(r), out.error());
        print_run(("run " + std::to_string(r)).c_str(), out->times, out->times.generate_ms());
        runs.push_back(out->times);
        if (r == repeats) last = std::move(*out);
    }

    auto column = [&](auto get) {
        std::vector<double> values;
        for (const RunTimes& t : runs) values.push_back(get(t));
        return median(values);
    };
    RunTimes med;
    med.compile_ms = column([](const RunTimes& t) { return t.compile_ms; });
    for (size_t i = 0; i < kLanguageCount; ++i) {
        med.language_ms[i] = column([i](const RunTimes& t) { return t.language_ms[i]; });
    }
    med.archive_ms = column([](const RunTimes& t) { return t.archive_ms; });
    // Totals are medians of the runs' sums, not sums of the medians.
    const double generate_ms = column([](const RunTimes& t) { return t.generate_ms(); });
    print_run("median", med, generate_ms);
    std::printf("median_generate_ms %.1f median_compile_generate_ms %.1f\n", generate_ms,
                column([](const RunTimes& t) { return t.compile_ms + t.generate_ms(); }));

    for (size_t i = 0; i < kLanguageCount; ++i) {
        size_t bytes = 0;
        for (const auto& [path, content] : last.files[i]) bytes += content.size();
        std::printf("output %s files %zu bytes %zu\n", kLanguages[i], last.files[i].size(), bytes);
        if (!write_dir.empty() && !write_files(write_dir, last.files[i])) {
            std::fprintf(stderr, "spoke-codegen-bench: cannot write under %s\n", write_dir.c_str());
            return 1;
        }
    }
    return 0;
}
