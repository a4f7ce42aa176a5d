// Code generation: the language catalog, libprotoc's generators in memory, the plugin protocol
// over an injected PluginRunner, and archives. (Plugins run as real processes are tested with
// the runner that starts them: tests/unit/services/codegen/plugin_process_test.cpp.)

#include <archive.h>
#include <archive_entry.h>
#include <google/protobuf/compiler/plugin.pb.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "registry/codegen/archive_writer.hpp"
#include "registry/codegen/generation_targets.hpp"
#include "registry/codegen/generator_runner.hpp"
#include "registry/codegen/inprocess_generators.hpp"
#include "registry/codegen/language_catalog.hpp"
#include "registry/codegen/memory_generator_context.hpp"
#include "registry/proto_compiler.hpp"
#include "tests/support/codegen_schema_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoke {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using std::chrono::milliseconds;

using testing::compile;
using testing::kMoneyProto;
using testing::kOrderProto;
using testing::two_file_input;
using testing::two_file_schema;

bool has_suffix(const GeneratedFiles& files, std::string_view suffix) {
    for (const auto& [path, content] : files) {
        if (path.ends_with(suffix)) return true;
    }
    return false;
}

using testing::file_listing;
using testing::TempDir;

// ---- catalog ----

TEST(LanguageCatalog, ListsEveryInProcessLanguageWithoutPlugins) {
    const LanguageCatalog catalog = LanguageCatalog::discover("");
    std::vector<std::string> ids;
    for (const auto& l : catalog.languages()) {
        ids.push_back(l.id);
        EXPECT_FALSE(l.supports_grpc()) << l.id;
        EXPECT_FALSE(l.plugin.has_value()) << l.id;
        EXPECT_EQ(l.generator, "libprotoc 3.21.12 in-process") << l.id;
        EXPECT_FALSE(l.file_extensions.empty()) << l.id;
        EXPECT_FALSE(l.name.empty()) << l.id;
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"cpp", "java", "kotlin", "python", "csharp", "objc",
                                             "php", "ruby"}));
    EXPECT_EQ(catalog.find("go"), nullptr);
    ASSERT_NE(catalog.find("python"), nullptr);
    EXPECT_EQ(catalog.find("python")->file_extensions, (std::vector<std::string>{".py", ".pyi"}));
}

TEST(LanguageCatalog, FindsPluginsOnTheSearchPathOnly) {
    TempDir first;
    TempDir second;
    first.script("grpc_python_plugin", "exit 0");
    second.script("grpc_python_plugin", "exit 0");  // shadowed by the first directory
    second.script("protoc-gen-go", "exit 0");
    const std::string not_executable = second.path() + "/grpc_cpp_plugin";
    std::ofstream(not_executable) << "#!/bin/sh\n";
    ::chmod(not_executable.c_str(), 0644);
    fs::create_directory(first.path() + "/grpc_ruby_plugin");  // a directory is no binary

    const LanguageCatalog catalog =
        LanguageCatalog::discover("relative/dir::" + first.path() + "/:" + second.path());
    const LanguageInfo* python = catalog.find("python");
    ASSERT_NE(python, nullptr);
    ASSERT_TRUE(python->supports_grpc());
    EXPECT_EQ(python->grpc_plugin->path, first.path() + "/grpc_python_plugin");
    EXPECT_FALSE(catalog.find("cpp")->supports_grpc());
    EXPECT_FALSE(catalog.find("ruby")->supports_grpc());

    const LanguageInfo* go = catalog.find("go");
    ASSERT_NE(go, nullptr);
    EXPECT_EQ(go->generator, second.path() + "/protoc-gen-go");
    EXPECT_FALSE(go->supports_grpc());  // no protoc-gen-go-grpc
    EXPECT_EQ(catalog.languages().back().id, "go");
}

// ---- in-process generators ----

struct Expectation {
    std::string language;
    std::vector<std::string> required;  // exact paths or, starting with '*', suffixes
};

class InProcessLanguages : public ::testing::TestWithParam<Expectation> {};

TEST_P(InProcessLanguages, GenerateEveryFileOfTheSchemaUnderItsOwnPath) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    const Expectation& want = GetParam();
    Result<GeneratedFiles> files = runner.generate(two_file_input(), want.language, false);
    ASSERT_TRUE(files.ok()) << files.error().message;
    for (const std::string& r : want.required) {
        if (r.front() == '*') {
            EXPECT_TRUE(has_suffix(*files, r.substr(1))) << r << " in\n" << file_listing(*files);
        } else {
            EXPECT_TRUE(files->count(r)) << r << " in\n" << file_listing(*files);
        }
    }
    for (const auto& [path, content] : *files) {
        // libprotoc's Kotlin generator writes an empty OuterClassKt.kt (as protoc does).
        if (!path.ends_with("OuterClassKt.kt")) {
            EXPECT_FALSE(content.empty()) << path;
        }
        EXPECT_TRUE(is_safe_output_path(path)) << path;
        // The well-known types come with every protobuf runtime: never generated.
        EXPECT_EQ(path.find("google/protobuf"), std::string::npos) << path;
        EXPECT_EQ(path.find("Google/Protobuf"), std::string::npos) << path;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Codegen, InProcessLanguages,
    ::testing::Values(
        Expectation{"cpp",
                    {"acme/base/v1/money.pb.h", "acme/base/v1/money.pb.cc",
                     "acme/shop/v1/order.pb.h", "acme/shop/v1/order.pb.cc"}},
        Expectation{"java",
                    {"com/acme/base/v1/Money.java", "com/acme/base/v1/MoneyOrBuilder.java",
                     "com/acme/shop/v1/Order.java", "com/acme/shop/v1/GetOrderRequest.java"}},
        Expectation{"kotlin",
                    {"com/acme/base/v1/Money.java", "com/acme/base/v1/MoneyKt.kt",
                     "com/acme/shop/v1/OrderKt.kt"}},
        Expectation{"python",
                    {"acme/base/v1/money_pb2.py", "acme/base/v1/money_pb2.pyi",
                     "acme/shop/v1/order_pb2.py", "acme/shop/v1/order_pb2.pyi"}},
        Expectation{"csharp", {"Acme/Base/V1/Money.cs", "Acme/Shop/V1/Order.cs"}},
        Expectation{"objc",
                    {"acme/base/v1/Money.pbobjc.h", "acme/base/v1/Money.pbobjc.m",
                     "acme/shop/v1/Order.pbobjc.h", "acme/shop/v1/Order.pbobjc.m"}},
        Expectation{"php",
                    {"Acme/Base/V1/Money.php", "Acme/Shop/V1/Order.php",
                     "*Metadata/Acme/Base/V1/Money.php"}},
        Expectation{"ruby", {"acme/base/v1/money_pb.rb", "acme/shop/v1/order_pb.rb"}}),
    [](const ::testing::TestParamInfo<Expectation>& info) { return info.param.language; });

TEST(GeneratorRunner, GeneratesOnlyTheListedFiles) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    GenerationInput input{two_file_schema(), {"acme/shop/v1/order.proto"}};
    Result<GeneratedFiles> files = runner.generate(input, "python", false);
    ASSERT_TRUE(files.ok()) << files.error().message;
    EXPECT_EQ(files->size(), 2u) << file_listing(*files);
    EXPECT_TRUE(files->count("acme/shop/v1/order_pb2.py"));
    EXPECT_TRUE(files->count("acme/shop/v1/order_pb2.pyi"));
    // The generated module imports its dependencies by their own paths.
    EXPECT_NE(files->at("acme/shop/v1/order_pb2.py").find("from acme.base.v1 import money_pb2"),
              std::string::npos);
}

TEST(GeneratorRunner, AnEmptyListMeansEveryFileButTheWellKnownTypes) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> files = runner.generate({two_file_schema(), {}}, "cpp", false);
    ASSERT_TRUE(files.ok()) << files.error().message;
    EXPECT_EQ(files->size(), 4u) << file_listing(*files);
}

TEST(GeneratorRunner, IdenticalInputsGiveIdenticalFiles) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> a = runner.generate(two_file_input(), "java", false);
    Result<GeneratedFiles> b = runner.generate(two_file_input(), "java", false);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
}

TEST(GeneratorRunner, ConcurrentGenerationsGiveTheSameFiles) {
    // Downloads generate on several worker threads at once.
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    const std::vector<std::string> languages = {"cpp", "python", "java", "kotlin"};
    std::vector<GeneratedFiles> expected;
    for (const auto& l : languages)
        expected.push_back(*runner.generate(two_file_input(), l, false));
    std::vector<int> mismatches(languages.size(), 0);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < languages.size(); ++i) {
        threads.emplace_back([&, i] {
            for (int round = 0; round < 5; ++round) {
                Result<GeneratedFiles> files =
                    runner.generate(two_file_input(), languages[i], false);
                if (!files.ok() || *files != expected[i]) ++mismatches[i];
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches, std::vector<int>(languages.size(), 0));
}

TEST(GeneratorRunner, UnknownLanguageIsNotFound) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "cobol", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::NotFound);
    EXPECT_NE(files.error().message.find("cobol"), std::string::npos);
    // "go" is unknown too while protoc-gen-go is not on the search path.
    EXPECT_EQ(runner.generate(two_file_input(), "go", false).error().code, ErrorCode::NotFound);
}

TEST(GeneratorRunner, GrpcWithoutAPluginIsABadRequest) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "cpp", true);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::BadRequest);
}

TEST(GeneratorRunner, AGeneratorRejectingTheSchemaIsInvalidProto) {
    // libprotoc's PHP generator only handles proto3.
    const std::string set = compile({{"legacy/v1/old.proto",
                                      "syntax = \"proto2\";\npackage legacy.v1;\n"
                                      "message Old { optional int32 x = 1; }\n"}});
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> files = runner.generate({set, {}}, "php", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::InvalidProto);
    EXPECT_TRUE(files.error().message.starts_with("generation failed: php: "))
        << files.error().message;
    // The same schema is fine for C++.
    EXPECT_TRUE(runner.generate({set, {}}, "cpp", false).ok());
}

TEST(GeneratorRunner, ABrokenDescriptorSetIsInternal) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    EXPECT_EQ(runner.generate({"\xff\xff not a set", {}}, "cpp", false).error().code,
              ErrorCode::Internal);
    Result<GeneratedFiles> missing =
        runner.generate({two_file_schema(), {"nope/v1/x.proto"}}, "cpp", false);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::Internal);
    // A set without the files it imports does not link.
    pb::FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromString(two_file_schema()));
    pb::FileDescriptorSet last_only;
    *last_only.add_file() = set.file(set.file_size() - 1);
    EXPECT_EQ(runner.generate({last_only.SerializeAsString(), {}}, "cpp", false).error().code,
              ErrorCode::Internal);
}

TEST(GeneratorRunner, OutputLargerThanTheLimitIsRejected) {
    GenerationLimits limits;
    limits.max_output_bytes = 1000;
    const GeneratorRunner runner(LanguageCatalog::discover(""), limits);
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "cpp", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::PayloadTooLarge);
}

// ---- the in-memory GeneratorContext ----

std::string written(MemoryGeneratorContext& context, const std::string& name) {
    GeneratedFiles files = context.take_files();
    return files.count(name) ? files.at(name) : "<missing>";
}

TEST(MemoryGeneratorContext, StreamsWriteFilesAndInsertAtMarkedLines) {
    MemoryGeneratorContext context({});
    {
        std::unique_ptr<pb::io::ZeroCopyOutputStream> out(context.Open("a/b.txt"));
        pb::io::CodedOutputStream coded(out.get());  // how libprotoc's Printer writes
        coded.WriteString("class X:\n    # @@protoc_insertion_point(body)\nend\n");
    }
    context.insert("a/b.txt", "body", "x = 1\n\ny = 2");  // indented like the marker line
    context.append("a/b.txt", "# tail\n");
    ASSERT_TRUE(context.status().ok()) << context.status().error().message;
    EXPECT_EQ(written(context, "a/b.txt"),
              "class X:\n    x = 1\n\n    y = 2\n    # @@protoc_insertion_point(body)\nend\n"
              "# tail\n");
}

TEST(MemoryGeneratorContext, InlineMarkersTakeTheDataBeforeTheComment) {
    MemoryGeneratorContext context({});
    context.write("f.h", "int a; /* @@protoc_insertion_point(x) */ int b;\n");
    context.insert("f.h", "x", "int c; ");
    ASSERT_TRUE(context.status().ok());
    EXPECT_EQ(written(context, "f.h"), "int a; int c; /* @@protoc_insertion_point(x) */ int b;\n");
}

TEST(MemoryGeneratorContext, RejectsDuplicatesUnsafePathsAndMissingPoints) {
    {
        MemoryGeneratorContext context({});
        context.write("x.py", "1");
        context.write("x.py", "2");
        ASSERT_FALSE(context.status().ok());
        EXPECT_EQ(context.status().error().code, ErrorCode::InvalidProto);
        EXPECT_NE(context.status().error().message.find("x.py"), std::string::npos);
    }
    for (const char* bad : {"../x.py", "/etc/x", "a//b", "a/./b", "", "a\\b"}) {
        MemoryGeneratorContext context({});
        context.write(bad, "1");
        EXPECT_FALSE(context.status().ok()) << bad;
    }
    {
        MemoryGeneratorContext context({});
        context.write("x.py", "no marker here\n");
        context.insert("x.py", "nowhere", "1\n");
        EXPECT_FALSE(context.status().ok());
        MemoryGeneratorContext other({});
        other.insert("never/written.py", "p", "1\n");
        EXPECT_FALSE(other.status().ok());
    }
}

// ---- the plugin protocol over an injected runner ----

TEST(PluginProtocol, TheInjectedRunnerGetsTheRequestAndItsAnswerIsApplied) {
    TempDir dir;
    dir.script("protoc-gen-go", "exit 1");  // found by the catalog, never started from here
    std::string seen_program;
    std::string seen_input;
    PluginRunLimits seen_limits;
    PluginRunner fake = [&](const std::string& program, std::string_view input,
                            const PluginRunLimits& limits) -> Result<std::string> {
        seen_program = program;
        seen_input = std::string(input);
        seen_limits = limits;
        pb::compiler::CodeGeneratorResponse response;
        auto* file = response.add_file();
        file->set_name("acme/shop/v1/order.pb.go");
        file->set_content("package v1\n");
        return response.SerializeAsString();
    };
    GenerationLimits limits;
    limits.plugin_deadline = milliseconds(1234);
    const GeneratorRunner runner(LanguageCatalog::discover(dir.path()), limits, fake);
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_TRUE(files.ok()) << files.error().message;
    ASSERT_EQ(files->size(), 1u) << file_listing(*files);
    EXPECT_EQ(files->at("acme/shop/v1/order.pb.go"), "package v1\n");
    EXPECT_EQ(seen_program, dir.path() + "/protoc-gen-go");
    EXPECT_EQ(seen_limits.deadline, milliseconds(1234));
    pb::compiler::CodeGeneratorRequest request;
    ASSERT_TRUE(request.ParseFromString(seen_input));
    ASSERT_EQ(request.file_to_generate_size(), 2);
    EXPECT_EQ(request.file_to_generate(1), "acme/shop/v1/order.proto");

    // What the runner reports is what the generation reports.
    const GeneratorRunner failing(
        LanguageCatalog::discover(dir.path()), limits,
        [](const std::string&, std::string_view, const PluginRunLimits&) -> Result<std::string> {
            return Error::unavailable("no such plugin");
        });
    EXPECT_EQ(failing.generate(two_file_input(), "go", false).error().code, ErrorCode::Unavailable);
    // A plugin's own error is a generation failure that names the plugin, not where it lives.
    const GeneratorRunner refusing(
        LanguageCatalog::discover(dir.path()), limits,
        [](const std::string&, std::string_view, const PluginRunLimits&) -> Result<std::string> {
            pb::compiler::CodeGeneratorResponse response;
            response.set_error("no go_package");
            return response.SerializeAsString();
        });
    Result<GeneratedFiles> refused = refusing.generate(two_file_input(), "go", false);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidProto);
    EXPECT_EQ(refused.error().message, "generation failed: protoc-gen-go: no go_package");
}

TEST(PluginProtocol, WithoutARunnerOnlyLibprotocGenerates) {
    TempDir dir;
    dir.script("protoc-gen-go", "exit 1");
    const GeneratorRunner runner(LanguageCatalog::discover(dir.path()));
    ASSERT_NE(runner.catalog().find("go"), nullptr);
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(runner.generate(two_file_input(), "cpp", false).ok());
}

// ---- which files a version's code covers ----

TEST(GenerationTargets, TheVersionsFilesAndTheDependencyFilesItsImportsReach) {
    // A dependency with two files, of which the version imports one.
    auto wide = std::make_shared<VersionSnapshot>();
    wide->record.module_name = "wide";
    wide->record.version = "1.0.0";
    wide->files = {{"wide/v1/x.proto", "syntax = \"proto3\";\npackage wide.v1;\nmessage X {}\n"},
                   {"wide/v1/y.proto", "syntax = \"proto3\";\npackage wide.v1;\nmessage Y {}\n"}};
    CompileRequest request;
    request.files = {{"user/v1/user.proto",
                      "syntax = \"proto3\";\npackage user.v1;\nimport \"wide/v1/x.proto\";\n"
                      "message User { wide.v1.X x = 1; }\n"}};
    request.dependencies = {wide};
    Result<CompiledSchema> compiled = compile_schema(request, PushLimits{});
    ASSERT_TRUE(compiled.ok()) << compiled.error().message;

    Result<std::vector<std::string>> targets =
        generation_targets(request.files, request.dependencies, compiled->descriptor_set);
    ASSERT_TRUE(targets.ok()) << targets.error().message;
    EXPECT_EQ(*targets, (std::vector<std::string>{"user/v1/user.proto", "wide/v1/x.proto"}));

    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> files =
        runner.generate({compiled->descriptor_set, *targets}, "python", false);
    ASSERT_TRUE(files.ok()) << files.error().message;
    EXPECT_EQ(files->size(), 4u) << file_listing(*files);
    EXPECT_TRUE(files->count("wide/v1/x_pb2.py"));
    EXPECT_FALSE(files->count("wide/v1/y_pb2.py"));
    // Every file of every dependency is not what the compiled set holds: that list never links.
    EXPECT_EQ(runner
                  .generate({compiled->descriptor_set,
                             {"user/v1/user.proto", "wide/v1/x.proto", "wide/v1/y.proto"}},
                            "python", false)
                  .error()
                  .code,
              ErrorCode::Internal);

    EXPECT_EQ(generation_targets(request.files, {}, "\xff\xff not a set").error().code,
              ErrorCode::Internal);
    EXPECT_EQ(
        generation_targets({{"other/v1/o.proto", ""}}, {}, compiled->descriptor_set).error().code,
        ErrorCode::Internal);
}

// ---- archives ----

struct ArchiveEntry {
    std::string path;
    std::string content;
    int64_t mtime = -1;
    int perm = 0;
    bool regular = false;
};

std::vector<ArchiveEntry> read_archive(const std::string& bytes) {
    std::vector<ArchiveEntry> entries;
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    archive_read_support_format_all(a.get());
    archive_read_support_filter_all(a.get());
    EXPECT_EQ(archive_read_open_memory(a.get(), bytes.data(), bytes.size()), ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
        ArchiveEntry e;
        e.path = archive_entry_pathname(entry);
        e.mtime = archive_entry_mtime(entry);
        e.perm = archive_entry_perm(entry);
        e.regular = archive_entry_filetype(entry) == AE_IFREG;
        char buf[8192];
        la_ssize_t n;
        while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
            e.content.append(buf, static_cast<size_t>(n));
        }
        EXPECT_EQ(n, 0) << archive_error_string(a.get());
        entries.push_back(std::move(e));
    }
    return entries;
}

GeneratedFiles sample_files() {
    GeneratedFiles files;
    files["b/second.py"] = "print('second')\n";
    files["a/first.h"] = std::string(100000, 'x') + "\n";
    files["empty.txt"] = "";
    files[std::string(60, 'd') + "/" + std::string(60, 'e') + "/" + std::string(40, 'f') + ".txt"] =
        "a path longer than ustar's 100 bytes\n";
    return files;
}

class Archives : public ::testing::TestWithParam<ArchiveFormat> {};

TEST_P(Archives, ReadBackWithTheFilesInPathOrder) {
    const GeneratedFiles files = sample_files();
    Result<std::string> bytes = write_archive(files, GetParam());
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    const std::vector<ArchiveEntry> entries = read_archive(*bytes);
    ASSERT_EQ(entries.size(), files.size());
    auto it = files.begin();
    for (const ArchiveEntry& e : entries) {
        EXPECT_EQ(e.path, it->first);
        EXPECT_EQ(e.content, it->second) << e.path;
        EXPECT_TRUE(e.regular) << e.path;
        EXPECT_EQ(e.perm, 0644) << e.path;
        if (GetParam() == ArchiveFormat::TarGz) {
            EXPECT_EQ(e.mtime, 0) << e.path;
        }
        ++it;
    }
    EXPECT_LT(bytes->size(), 10000u);  // compressed
}

TEST_P(Archives, AreByteForByteReproducible) {
    Result<std::string> first = write_archive(sample_files(), GetParam());
    Result<std::string> second = write_archive(sample_files(), GetParam());
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(*first, *second);

    // zip stores local times: the archive must not depend on the server's time zone.
    const char* old_tz = std::getenv("TZ");
    const std::string saved = old_tz ? old_tz : "";
    ::setenv("TZ", "Pacific/Kiritimati", 1);
    ::tzset();
    Result<std::string> elsewhere = write_archive(sample_files(), GetParam());
    old_tz ? ::setenv("TZ", saved.c_str(), 1) : ::unsetenv("TZ");
    ::tzset();
    ASSERT_TRUE(elsewhere.ok());
    EXPECT_EQ(*first, *elsewhere);

    GeneratedFiles changed = sample_files();
    changed["b/second.py"] += "#";
    EXPECT_NE(*first, *write_archive(changed, GetParam()));
}

TEST_P(Archives, EmptyAndUnsafeInputs) {
    Result<std::string> empty = write_archive({}, GetParam());
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_TRUE(read_archive(*empty).empty());
    GeneratedFiles unsafe{{"../escape.txt", "x"}};
    EXPECT_FALSE(write_archive(unsafe, GetParam()).ok());
}

INSTANTIATE_TEST_SUITE_P(Codegen, Archives,
                         ::testing::Values(ArchiveFormat::Zip, ArchiveFormat::TarGz),
                         [](const ::testing::TestParamInfo<ArchiveFormat>& info) {
                             return info.param == ArchiveFormat::Zip ? "zip" : "tar_gz";
                         });

TEST(ArchiveFormat, ParsesTheQueryValues) {
    EXPECT_EQ(parse_archive_format("zip"), ArchiveFormat::Zip);
    EXPECT_EQ(parse_archive_format("tar.gz"), ArchiveFormat::TarGz);
    EXPECT_FALSE(parse_archive_format("tgz").has_value());
    EXPECT_FALSE(parse_archive_format("ZIP").has_value());
    EXPECT_EQ(archive_format_name(ArchiveFormat::TarGz), "tar.gz");
    EXPECT_EQ(archive_media_type(ArchiveFormat::Zip), "application/zip");
    EXPECT_EQ(archive_media_type(ArchiveFormat::TarGz), "application/gzip");
}

TEST(ArchiveFormat, GeneratedCodeRoundTripsThroughBothFormats) {
    const GeneratorRunner runner(LanguageCatalog::discover(""));
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "cpp", false);
    ASSERT_TRUE(files.ok());
    for (ArchiveFormat format : {ArchiveFormat::Zip, ArchiveFormat::TarGz}) {
        Result<std::string> bytes = write_archive(*files, format);
        ASSERT_TRUE(bytes.ok());
        const std::vector<ArchiveEntry> entries = read_archive(*bytes);
        ASSERT_EQ(entries.size(), files->size());
        for (const ArchiveEntry& e : entries) EXPECT_EQ(e.content, files->at(e.path));
    }
}

}  // namespace
}  // namespace spoke
