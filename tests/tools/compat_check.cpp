// spoke-compat-check OLD_DIR NEW_DIR [--mode BACKWARD|FORWARD|FULL]
// Compiles every .proto under each directory (paths relative to it, no dependencies besides
// the well-known types), checks NEW against OLD and prints one JSON report on stdout.
// Exit 0 compatible, 1 incompatible, 2 usage or compile error (message on stderr).

#include <jansson.h>
#include <pthread.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_image.hpp"
#include "registry/proto_compiler.hpp"

namespace {

namespace fs = std::filesystem;
using spoke::CompatMode;

constexpr int kUsageOrCompileError = 2;

struct JsonDeleter {
    void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

spoke::Result<std::vector<spoke::ProtoFile>> read_protos(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return spoke::Error::bad_request(dir.string() + " is not a directory");
    std::vector<spoke::ProtoFile> files;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (!it->is_regular_file() || it->path().extension() != ".proto") continue;
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in && !in.eof())
            return spoke::Error::bad_request("cannot read " + it->path().string());
        files.push_back({fs::relative(it->path(), dir).generic_string(), text.str()});
    }
    if (ec) return spoke::Error::bad_request("cannot list " + dir.string() + ": " + ec.message());
    if (files.empty()) return spoke::Error::bad_request(dir.string() + " holds no .proto file");
    return files;
}

// The compiler recurses deeply on nested input; production runs it on 64 MiB worker stacks.
void run_on_big_stack(std::function<void()> fn) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64u << 20);
    pthread_t thread;
    const int rc = pthread_create(
        &thread, &attr,
        [](void* arg) -> void* {
            (*static_cast<std::function<void()>*>(arg))();
            return nullptr;
        },
        &fn);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fn();
        return;
    }
    pthread_join(thread, nullptr);
}

spoke::Result<std::unique_ptr<spoke::SchemaImage>> load_image(const fs::path& dir) {
    auto files = read_protos(dir);
    if (!files) return std::move(files).error();
    spoke::CompileRequest request;
    request.include_source_info = true;
    std::vector<std::string> own;
    for (const auto& f : *files) own.push_back(f.path);
    request.files = std::move(*files);
    spoke::Result<spoke::CompiledSchema> compiled = spoke::Error::internal("not run");
    run_on_big_stack([&] { compiled = spoke::compile_schema(request, spoke::PushLimits{}); });
    if (!compiled) {
        spoke::Error error = std::move(compiled).error();
        // The message names the first problem; list them all when there are more.
        if (error.details.size() > 1) {
            for (const auto& d : error.details) {
                error.message += "\n  " + d.file + ":" + std::to_string(d.line) + ":" +
                                 std::to_string(d.column) + ": " + d.message;
            }
        }
        return error;
    }
    return spoke::SchemaImage::from_descriptor_set(compiled->descriptor_set, std::move(own));
}

// jansson takes UTF-8 only; string defaults in messages may hold any bytes.
json_t* json_text(const std::string& s) {
    if (json_t* j = json_stringn(s.data(), s.size())) return j;
    std::string ascii = s;
    for (char& c : ascii) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    return json_stringn(ascii.data(), ascii.size());
}

JsonPtr report_json(const spoke::CompatReport& report, CompatMode mode) {
    JsonPtr root(json_object());
    json_object_set_new(root.get(), "compatible", json_boolean(report.compatible()));
    json_object_set_new(root.get(), "mode", json_string(spoke::compat_mode_name(mode)));
    json_object_set_new(root.get(), "error_count", json_integer(report.error_count));
    json_object_set_new(root.get(), "warning_count", json_integer(report.warning_count));
    json_object_set_new(root.get(), "info_count", json_integer(report.info_count));
    json_t* list = json_array();
    for (const spoke::Violation& v : report.violations) {
        json_t* item = json_object();
        json_object_set_new(item, "rule", json_text(v.rule));
        json_object_set_new(item, "level", json_string(spoke::violation_level_name(v.level)));
        json_object_set_new(item, "message", json_text(v.message));
        json_object_set_new(item, "file", json_text(v.file));
        json_object_set_new(item, "line", json_integer(v.line));
        json_object_set_new(item, "element", json_text(v.element));
        json_object_set_new(item, "old_value", json_text(v.old_value));
        json_object_set_new(item, "new_value", json_text(v.new_value));
        json_array_append_new(list, item);
    }
    json_object_set_new(root.get(), "violations", list);
    return root;
}

int usage() {
    std::cerr << "usage: spoke-compat-check OLD_DIR NEW_DIR [--mode BACKWARD|FORWARD|FULL]\n";
    return kUsageOrCompileError;
}

int run(int argc, char** argv) {
    std::vector<std::string> positional;
    CompatMode mode = CompatMode::Backward;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--mode") {
            if (i + 1 >= argc) return usage();
            auto parsed = spoke::parse_compat_mode(argv[++i]);
            if (!parsed) {
                std::cerr << "unknown mode " << argv[i] << "\n";
                return usage();
            }
            mode = *parsed;
        } else if (arg.rfind("--", 0) == 0) {
            return usage();
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() != 2) return usage();
    auto older = load_image(positional[0]);
    if (!older) {
        std::cerr << positional[0] << ": " << older.error().message << "\n";
        return kUsageOrCompileError;
    }
    auto newer = load_image(positional[1]);
    if (!newer) {
        std::cerr << positional[1] << ": " << newer.error().message << "\n";
        return kUsageOrCompileError;
    }
    const spoke::CompatReport report = spoke::check_compatibility(**older, **newer, mode);
    JsonPtr json = report_json(report, mode);
    char* text = json_dumps(json.get(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == nullptr) {
        std::cerr << "cannot render the report\n";
        return kUsageOrCompileError;
    }
    std::fputs(text, stdout);
    std::fputc('\n', stdout);
    free(text);
    return report.compatible() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    // A library exception (bad_alloc, filesystem_error) is a failed check, not an abort.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "spoke-compat-check: " << e.what() << "\n";
        return kUsageOrCompileError;
    }
}
