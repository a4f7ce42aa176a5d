#pragma once
// Helpers for tests that compile .proto sources into a SchemaImage, the way a push does.

#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "registry/compat/schema_image.hpp"
#include "registry/proto_compiler.hpp"

namespace spoke::testing {

// Production compiles on 64 MiB worker stacks; so do the tests.
inline void run_on_big_stack(std::function<void()> fn) {
    pthread_attr_t attr;
    ASSERT_EQ(pthread_attr_init(&attr), 0);
    ASSERT_EQ(pthread_attr_setstacksize(&attr, 64u << 20), 0);
    pthread_t thread;
    const int rc = pthread_create(
        &thread, &attr,
        [](void* arg) -> void* {
            (*static_cast<std::function<void()>*>(arg))();
            return nullptr;
        },
        &fn);
    pthread_attr_destroy(&attr);
    ASSERT_EQ(rc, 0);
    pthread_join(thread, nullptr);
}

// Compiles `files` with source info; all of them are the image's own files unless `own` says.
// Null (and the test failed) if compiling or building the image fails.
inline std::unique_ptr<SchemaImage> image_of(const std::vector<ProtoFile>& files,
                                             std::vector<std::string> own = {}) {
    CompileRequest request;
    request.files = files;
    request.include_source_info = true;
    Result<CompiledSchema> compiled = Error::internal("not run");
    run_on_big_stack([&] { compiled = compile_schema(request, PushLimits{}); });
    if (!compiled) {
        ADD_FAILURE() << "compile failed: " << compiled.error().message;
        return nullptr;
    }
    if (own.empty()) {
        for (const auto& f : files) own.push_back(f.path);
    }
    auto image = SchemaImage::from_descriptor_set(compiled->descriptor_set, own);
    if (!image) {
        ADD_FAILURE() << "image failed: " << image.error().message;
        return nullptr;
    }
    return std::move(image).value();
}

}  // namespace spoke::testing
