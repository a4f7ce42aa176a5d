#pragma once
// Helpers shared by the fuzz targets: splitting one input into several .proto files, compiling
// them as a push does, and failing loudly when an invariant breaks.

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "registry/model.hpp"
#include "registry/proto_compiler.hpp"
#include "registry/push_request.hpp"

namespace spoke::fuzz {

// An invariant that must hold for every input: print it and abort, so libFuzzer saves the input.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

inline void require(bool condition, const std::string& what) {
    if (!condition) fail(what);
}

// The files of one input. A line "#file PATH" starts an own file, "#dep PATH" a file of the one
// dependency (module "dep", version 1.0.0); text before the first such line is `default_path`.
struct SplitFiles {
    std::vector<ProtoFile> own;
    std::vector<ProtoFile> dependency;
};

inline SplitFiles split_files(std::string_view text, std::string_view default_path) {
    SplitFiles out;
    std::vector<ProtoFile>* target = &out.own;
    ProtoFile current{std::string(default_path), {}};
    bool have_current = false;
    auto flush = [&] {
        if (have_current || !current.content.empty()) target->push_back(std::move(current));
    };
    while (!text.empty()) {
        const size_t eol = text.find('\n');
        const std::string_view line = text.substr(0, eol);
        const std::string_view rest =
            eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        const bool own = line.starts_with("#file ");
        const bool dep = line.starts_with("#dep ");
        if (own || dep) {
            flush();
            target = own ? &out.own : &out.dependency;
            current = ProtoFile{std::string(line.substr(own ? 6 : 5)), {}};
            have_current = true;
        } else {
            current.content.append(line);
            if (eol != std::string_view::npos) current.content.push_back('\n');
        }
        text = rest;
    }
    flush();
    return out;
}

// The compiler recurses deeply on nested input; production runs it on 64 MiB worker stacks
// (reactor/worker_pool), so the fuzzer does too rather than on the main thread's 8 MiB.
inline void run_on_big_stack(const std::function<void()>& fn) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64u << 20);
    pthread_t thread;
    auto body = [](void* arg) -> void* {
        (*static_cast<const std::function<void()>*>(arg))();
        return nullptr;
    };
    const int rc = pthread_create(&thread, &attr, body, const_cast<std::function<void()>*>(&fn));
    pthread_attr_destroy(&attr);
    if (rc != 0) fail("pthread_create failed");
    pthread_join(thread, nullptr);
}

// A validated push of `files` (as the push route checks them), or nullopt when validation
// rejects it: production never compiles what validate_push refused.
inline std::optional<std::vector<ProtoFile>> validated(std::vector<ProtoFile> files,
                                                       std::string module) {
    PushRequest request{std::move(module), "1.0.0", std::move(files), {}, {}};
    auto push = validate_push(std::move(request), PushLimits{});
    if (!push) return std::nullopt;
    return std::move(push->files);
}

// `files` compiled as a push compiles them (with source info), against `dependency` as the
// contents of one dependency version when it is not empty.
inline Result<CompiledSchema> compile_like_push(const std::vector<ProtoFile>& files,
                                                const std::vector<ProtoFile>& dependency,
                                                bool include_source_info = true) {
    CompileRequest request;
    request.files = files;
    request.include_source_info = include_source_info;
    if (!dependency.empty()) {
        auto snapshot = std::make_shared<VersionSnapshot>();
        snapshot->record.module_name = "dep";
        snapshot->record.version = "1.0.0";
        snapshot->files = dependency;
        request.dependencies.push_back(std::move(snapshot));
    }
    Result<CompiledSchema> compiled = Error::internal("not run");
    run_on_big_stack([&] { compiled = compile_schema(request, PushLimits{}); });
    return compiled;
}

}  // namespace spoke::fuzz
