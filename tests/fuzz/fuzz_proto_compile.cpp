// .proto ingestion as a push runs it: prescan_proto on every file (any bytes), then for what
// validate_push accepts compile_schema (pre-scan, parse, link against one dependency and the
// well-known types, with source info), and on a compiled schema the later push stages: lint,
// strip_source_info, SchemaImage, the compatibility check and the diff of the schema against
// itself, with_well_known_source_info.
//
// Input: .proto text. A line "#file PATH" starts another own file, "#dep PATH" a file of the
// dependency (module "dep"); text before the first such line is "main.proto".
//
// Invariants: a compiled set links as a SchemaImage and lints; it is compatible with itself
// (no violation in FULL mode) and has an empty diff with itself; the stripped set is
// byte-identical to a compile without source info.

#include <google/protobuf/descriptor.pb.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_diff.hpp"
#include "registry/compat/schema_image.hpp"
#include "registry/lint/compiler_warnings.hpp"
#include "registry/lint/lint_schema.hpp"
#include "registry/well_known_types.hpp"
#include "services/compat_check.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace spoke;
using spoke::fuzz::require;

void check_compiled(const CompiledSchema& schema, const std::vector<ProtoFile>& own,
                    const std::vector<ProtoFile>& dependency) {
    std::vector<std::string> own_paths;
    for (const auto& f : own) own_paths.push_back(f.path);

    auto lint = lint_schema(schema.descriptor_set, own_paths);
    require(lint.ok(), "lint_schema failed on a compiled set: " +
                           (lint.ok() ? std::string() : lint.error().message));
    (void)merge_compiler_warnings(schema.warnings, std::move(*lint));

    auto stripped = strip_source_info(schema.descriptor_set);
    require(stripped.ok(), "strip_source_info failed on a compiled set");
    auto plain = spoke::fuzz::compile_like_push(own, dependency, /*include_source_info=*/false);
    require(plain.ok(), "a schema compiles with source info but not without");
    require(plain->descriptor_set == *stripped,
            "the stripped set differs from a compile without source info");

    auto served = with_well_known_source_info(schema.descriptor_set);
    require(served.ok(), "with_well_known_source_info failed on a compiled set");

    auto image = SchemaImage::from_descriptor_set(schema.descriptor_set, own_paths);
    require(image.ok(), "a compiled set does not link as a SchemaImage: " +
                            (image.ok() ? std::string() : image.error().message));
    const CompatReport self = check_compatibility(**image, **image, CompatMode::Full);
    if (!self.violations.empty()) {
        spoke::fuzz::fail("a schema is incompatible with itself: " + self.violations.front().rule +
                          " " + self.violations.front().message);
    }
    const auto changes = diff_schemas(**image, **image);
    if (!changes.empty())
        spoke::fuzz::fail("a schema differs from itself: " + changes.front().type);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto split = spoke::fuzz::split_files(text, "main.proto");

    // The pre-scan sees any bytes (it runs before anything else looks at a file).
    for (const auto& f : split.own) (void)prescan_proto(f, PushLimits{});

    auto own = spoke::fuzz::validated(std::move(split.own), "fuzz");
    if (!own) return 0;
    std::vector<ProtoFile> dependency;
    if (!split.dependency.empty()) {
        auto dep = spoke::fuzz::validated(std::move(split.dependency), "dep");
        if (!dep) return 0;
        dependency = std::move(*dep);
    }
    auto compiled = spoke::fuzz::compile_like_push(*own, dependency);
    if (!compiled) {
        const Error& e = compiled.error();
        // Bad input is the client's error; an Internal error is ours (libprotobuf threw).
        require(e.code != ErrorCode::Internal, "compile_schema: internal error: " + e.message);
        return 0;
    }
    check_compiled(*compiled, *own, dependency);
    return 0;
}
