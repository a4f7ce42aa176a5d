// Plugins run as child processes (run_plugin_process, the PluginRunner CodegenService gives the
// registry's GeneratorRunner): the plugin protocol end to end with fake plugins as shell scripts,
// deadlines, output limits and crashes, and the real Debian plugins when installed.
// (Moved from tests/unit/registry/codegen_test.cpp with the process spawning.)

#include "services/codegen/plugin_process.hpp"

#include <google/protobuf/compiler/plugin.pb.h>
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <tuple>

#include "registry/codegen/generator_runner.hpp"
#include "registry/codegen/language_catalog.hpp"
#include "registry/proto_compiler.hpp"
#include "tests/support/codegen_schema_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace spoke {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using std::chrono::milliseconds;

// The registry's GeneratorRunner with this process's plugin runner, as CodegenService builds it.
GeneratorRunner process_runner(LanguageCatalog catalog, GenerationLimits limits = {}) {
    return GeneratorRunner(std::move(catalog), limits, run_plugin_process);
}

using testing::compile;
using testing::kMoneyProto;
using testing::kOrderProto;
using testing::two_file_input;
using testing::two_file_schema;

using testing::file_listing;
using testing::TempDir;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---- plugins ----

pb::compiler::CodeGeneratorResponse response_with(
    std::vector<std::tuple<std::string, std::string, std::string>> files) {
    pb::compiler::CodeGeneratorResponse response;
    for (auto& [name, point, content] : files) {
        auto* f = response.add_file();
        if (!name.empty()) f->set_name(name);
        if (!point.empty()) f->set_insertion_point(point);
        f->set_content(content);
    }
    return response;
}

TEST(PluginGenerator, SendsACodeGeneratorRequestAndAppliesTheResponse) {
    TempDir dir;
    const std::string response_file = dir.path() + "/response.bin";
    std::ofstream(response_file, std::ios::binary)
        << response_with({{"acme/shop/v1/order.pb.go", "",
                           "package v1\n// @@protoc_insertion_point(imports)\n"},
                          {"", "", "// continued\n"},
                          {"acme/shop/v1/order.pb.go", "imports", "import \"x\"\n"}})
               .SerializeAsString();
    dir.script("protoc-gen-go", "cat > " + dir.path() + "/request.bin\ncat " + response_file);
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()));

    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_TRUE(files.ok()) << files.error().message;
    ASSERT_EQ(files->size(), 1u) << file_listing(*files);
    EXPECT_EQ(files->at("acme/shop/v1/order.pb.go"),
              "package v1\nimport \"x\"\n// @@protoc_insertion_point(imports)\n// continued\n");

    pb::compiler::CodeGeneratorRequest request;
    ASSERT_TRUE(request.ParseFromString(read_file(dir.path() + "/request.bin")));
    EXPECT_EQ(request.compiler_version().major(), 3);
    EXPECT_EQ(request.compiler_version().minor(), 21);
    EXPECT_EQ(request.compiler_version().patch(), 12);
    ASSERT_EQ(request.file_to_generate_size(), 2);
    EXPECT_EQ(request.file_to_generate(0), "acme/base/v1/money.proto");
    EXPECT_EQ(request.file_to_generate(1), "acme/shop/v1/order.proto");
    // Dependency-first: each file after everything it imports.
    std::vector<std::string> order;
    for (const auto& f : request.proto_file()) order.push_back(f.name());
    EXPECT_EQ(order, (std::vector<std::string>{"acme/base/v1/money.proto",
                                               "google/protobuf/timestamp.proto",
                                               "acme/shop/v1/order.proto"}));
    // Files without go_package get an import path from their directory.
    EXPECT_EQ(request.parameter(),
              "paths=source_relative,Macme/base/v1/money.proto=acme/base/v1,"
              "Macme/shop/v1/order.proto=acme/shop/v1");
}

TEST(PluginGenerator, APluginErrorIsAGenerationFailure) {
    TempDir dir;
    pb::compiler::CodeGeneratorResponse response;
    response.set_error("order.proto: unable to determine Go import path");
    std::ofstream(dir.path() + "/response.bin", std::ios::binary) << response.SerializeAsString();
    dir.script("protoc-gen-go", "cat > /dev/null\ncat " + dir.path() + "/response.bin");
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()));
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::InvalidProto);
    EXPECT_NE(files.error().message.find("generation failed: "), std::string::npos);
    EXPECT_NE(files.error().message.find("unable to determine Go import path"), std::string::npos);
}

TEST(PluginGenerator, AFailingPluginReportsItsStatusAndStderr) {
    TempDir dir;
    dir.script("protoc-gen-go", "cat > /dev/null\necho 'panic: something broke' >&2\nexit 3");
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()));
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::Internal);
    EXPECT_NE(files.error().message.find("status 3"), std::string::npos) << files.error().message;
    EXPECT_NE(files.error().message.find("panic: something broke"), std::string::npos);

    TempDir garbage;
    garbage.script("protoc-gen-go", "cat > /dev/null\nprintf '\\377\\377\\377'");
    Result<GeneratedFiles> g = process_runner(LanguageCatalog::discover(garbage.path()))
                                   .generate(two_file_input(), "go", false);
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().code, ErrorCode::Internal);
    EXPECT_NE(g.error().message.find("CodeGeneratorResponse"), std::string::npos);
}

TEST(PluginGenerator, APluginThatDisappearedIsUnavailable) {
    TempDir dir;
    const std::string plugin = dir.script("protoc-gen-go", "exit 0");
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()));
    ASSERT_NE(runner.catalog().find("go"), nullptr);
    fs::remove(plugin);
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::Unavailable);
    EXPECT_NE(files.error().message.find(plugin), std::string::npos) << files.error().message;
}

// True once `pid` has died: gone, or a zombie waiting for its (new) parent to reap it.
bool process_died(const std::string& pid) {
    for (int i = 0; i < 200; ++i) {
        std::ifstream stat("/proc/" + pid + "/stat");
        std::string line;
        if (!std::getline(stat, line)) return true;
        const size_t paren = line.rfind(')');
        if (paren != std::string::npos && line.compare(paren + 1, 3, " Z ") == 0) return true;
        std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
}

TEST(PluginGenerator, TheDeadlineKillsAPluginThatHangs) {
    TempDir dir;
    // The sleep is a child of the shell: the kill must reach the plugin's whole process group.
    const std::string pid_file = dir.path() + "/sleep.pid";
    dir.script("protoc-gen-go", "sleep 30 &\necho $! > " + pid_file + "\nwait");
    GenerationLimits limits;
    limits.plugin_deadline = milliseconds(300);
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()), limits);
    const auto start = std::chrono::steady_clock::now();
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::Unavailable);
    EXPECT_NE(files.error().message.find("did not finish within 300 ms"), std::string::npos)
        << files.error().message;
    EXPECT_GE(elapsed, milliseconds(300));
    EXPECT_LT(elapsed, std::chrono::seconds(10));
    std::string sleep_pid = read_file(pid_file);
    while (!sleep_pid.empty() && sleep_pid.back() == '\n') sleep_pid.pop_back();
    ASSERT_FALSE(sleep_pid.empty());
    EXPECT_TRUE(process_died(sleep_pid)) << "the plugin's child " << sleep_pid << " survived";
}

TEST(PluginGenerator, OutputBeyondTheLimitStopsThePlugin) {
    TempDir dir;
    dir.script("protoc-gen-go", "cat > /dev/null\nexec cat /dev/zero");  // never ends by itself
    GenerationLimits limits;
    limits.max_output_bytes = 1 << 20;
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()), limits);
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", false);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.error().code, ErrorCode::PayloadTooLarge) << files.error().message;
}

TEST(PluginGenerator, LargeRequestsAndEarlyLargeOutputDoNotDeadlock) {
    // The request is larger than the socket buffer, and the plugin writes megabytes before it
    // reads anything: writing and reading must interleave.
    std::string big = "syntax = \"proto3\";\npackage big.v1;\nmessage Big {\n";
    for (int i = 1; i <= 6000; ++i) {
        big += "  string field_with_a_rather_long_name_" + std::to_string(i) + " = " +
               std::to_string(i) + ";\n";
    }
    big += "}\n";
    GenerationInput input{compile({{"big/v1/big.proto", big}}), {}};
    ASSERT_GT(input.descriptor_set.size(), 300000u);
    TempDir dir;
    dir.script("protoc-gen-go", "head -c 3000000 /dev/zero\ncat > " + dir.path() + "/request.bin");
    GenerationLimits limits;
    limits.plugin_deadline = std::chrono::seconds(20);
    const GeneratorRunner runner = process_runner(LanguageCatalog::discover(dir.path()), limits);
    Result<GeneratedFiles> files = runner.generate(input, "go", false);
    ASSERT_FALSE(files.ok());
    // Not a deadline: the plugin finished, and its zeros are no CodeGeneratorResponse.
    EXPECT_EQ(files.error().code, ErrorCode::Internal) << files.error().message;
    pb::compiler::CodeGeneratorRequest request;
    ASSERT_TRUE(request.ParseFromString(read_file(dir.path() + "/request.bin")));
    EXPECT_EQ(request.file_to_generate(0), "big/v1/big.proto");
}

// Real Debian plugins, when this machine has them (protobuf-compiler-grpc, protoc-gen-go,
// protoc-gen-go-grpc).
TEST(RealPlugins, GrpcStubsForPythonAndCpp) {
    const GeneratorRunner runner = process_runner(LanguageCatalog::from_environment());
    const LanguageInfo* python = runner.catalog().find("python");
    if (!python->supports_grpc()) GTEST_SKIP() << "grpc_python_plugin is not installed";
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "python", true);
    ASSERT_TRUE(files.ok()) << files.error().message;
    ASSERT_TRUE(files->count("acme/shop/v1/order_pb2_grpc.py")) << file_listing(*files);
    EXPECT_NE(files->at("acme/shop/v1/order_pb2_grpc.py").find("class OrderServiceStub"),
              std::string::npos);
    EXPECT_TRUE(files->count("acme/shop/v1/order_pb2.pyi"));

    if (!runner.catalog().find("cpp")->supports_grpc()) return;
    Result<GeneratedFiles> cpp = runner.generate(two_file_input(), "cpp", true);
    ASSERT_TRUE(cpp.ok()) << cpp.error().message;
    EXPECT_TRUE(cpp->count("acme/shop/v1/order.grpc.pb.h")) << file_listing(*cpp);
    EXPECT_TRUE(cpp->count("acme/shop/v1/order.grpc.pb.cc"));
    EXPECT_TRUE(cpp->count("acme/shop/v1/order.pb.h"));
}

TEST(RealPlugins, Go) {
    const GeneratorRunner runner = process_runner(LanguageCatalog::from_environment());
    const LanguageInfo* go = runner.catalog().find("go");
    if (go == nullptr) GTEST_SKIP() << "protoc-gen-go is not installed";
    Result<GeneratedFiles> files = runner.generate(two_file_input(), "go", go->supports_grpc());
    ASSERT_TRUE(files.ok()) << files.error().message;
    ASSERT_TRUE(files->count("acme/base/v1/money.pb.go")) << file_listing(*files);
    ASSERT_TRUE(files->count("acme/shop/v1/order.pb.go"));
    EXPECT_NE(files->at("acme/shop/v1/order.pb.go").find("package v1"), std::string::npos);
    EXPECT_NE(files->at("acme/shop/v1/order.pb.go").find("\"acme/base/v1\""), std::string::npos);
    if (go->supports_grpc()) {
        EXPECT_TRUE(files->count("acme/shop/v1/order_grpc.pb.go")) << file_listing(*files);
    }
}

}  // namespace
}  // namespace spoke
