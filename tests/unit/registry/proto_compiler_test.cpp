#include "registry/proto_compiler.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "tests/support/schema_image_support.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

// Production compiles on WorkerPool threads with a 64 MiB stack; the tests do the same so that
// a regression in the pre-scan shows up as a crash here too.
using testing::run_on_big_stack;

Result<CompiledSchema> compile(const CompileRequest& request, const PushLimits& limits = {}) {
    Result<CompiledSchema> out = Error::internal("not run");
    run_on_big_stack([&] { out = compile_schema(request, limits); });
    return out;
}

VersionSnapshotPtr snapshot(std::string module, std::string version, std::vector<ProtoFile> files) {
    auto s = std::make_shared<VersionSnapshot>();
    s->record.module_name = std::move(module);
    s->record.version = std::move(version);
    s->files = std::move(files);
    return s;
}

std::vector<std::string> file_names(const CompiledSchema& schema,
                                    pb::FileDescriptorSet* set_out = nullptr) {
    pb::FileDescriptorSet set;
    EXPECT_TRUE(set.ParseFromString(schema.descriptor_set));
    std::vector<std::string> names;
    for (const auto& f : set.file()) names.push_back(f.name());
    if (set_out) *set_out = set;
    return names;
}

size_t index_of(const std::vector<std::string>& v, const std::string& s) {
    return static_cast<size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

std::string nested(const std::string& open, const std::string& close, int depth) {
    std::string s;
    s.reserve((open.size() + close.size()) * depth);
    for (int i = 0; i < depth; ++i) s += open;
    for (int i = 0; i < depth; ++i) s += close;
    return s;
}

// --- prescan -----------------------------------------------------------------------------------

TEST(Prescan, AcceptsOrdinaryFile) {
    ProtoFile f{"a.proto",
                "syntax = \"proto3\";\nmessage A { map<string, int32> m = 1; "
                "repeated int32 x = 2 [packed = true]; }\n"};
    EXPECT_TRUE(prescan_proto(f, {}).ok());
}

TEST(Prescan, RejectsDeepNestingQuicklyWithPosition) {
    ProtoFile f{"deep.proto", "syntax = \"proto3\";\n" + nested("message M {", "}", 10000)};
    const auto start = std::chrono::steady_clock::now();
    auto s = prescan_proto(f, {});
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, std::chrono::milliseconds(100));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::InvalidProto);
    ASSERT_EQ(s.error().details.size(), 1u);
    const auto& d = s.error().details[0];
    EXPECT_EQ(d.file, "deep.proto");
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(d.column, 32 * 11);  // the 32nd "message M {" ends with the offending brace
}

TEST(Prescan, DefaultMessageLimitIsLibprotobufs) {
    EXPECT_EQ(PushLimits{}.max_message_nesting, 31);
    EXPECT_TRUE(prescan_proto({"a.proto", nested("message M {", "}", 31)}, {}).ok());
    auto s = prescan_proto({"a.proto", nested("message M {", "}", 32)}, {});
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().details[0].column, 32 * 11);
    EXPECT_NE(s.error().message.find("nested deeper than 31 levels"), std::string::npos)
        << s.error().message;
}

TEST(Prescan, CountsGroupsAndMapEntriesAsMessages) {
    PushLimits limits;
    limits.max_message_nesting = 2;
    // Groups (also in a oneof or an extend block) and map entries are nested message types.
    const std::string group = "message A { optional group G = 1 { optional int32 x = 2; } }";
    EXPECT_TRUE(prescan_proto({"a.proto", group}, limits).ok());
    auto s = prescan_proto({"a.proto", "message O { " + group + " }"}, limits);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().details[0].column, 12 + 33 + 1);  // the group's brace
    EXPECT_FALSE(
        prescan_proto({"a.proto", "message O { message A { oneof o { group G = 1 {} } } }"}, limits)
            .ok());
    EXPECT_FALSE(
        prescan_proto(
            {"a.proto", "message O { message A { extend O { optional group G = 9 {} } } }"}, limits)
            .ok());
    EXPECT_TRUE(
        prescan_proto({"a.proto", "extend O { optional group G = 9 { optional group H = 1 {} } }"},
                      limits)
            .ok());
    EXPECT_TRUE(prescan_proto({"a.proto", "message A { map<string, int32> m = 1; }"}, limits).ok());
    s = prescan_proto({"a.proto", "message A { message B {\n  map<string, int32> m = 1; } }"},
                      limits);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().details[0].line, 2);
    EXPECT_EQ(s.error().details[0].column, 3);  // the `map` keyword
}

TEST(Prescan, OtherBlocksAndValuesAreNotMessages) {
    PushLimits limits;
    limits.max_message_nesting = 1;
    const std::string text =
        "syntax = \"proto2\";\n"
        "option (f) = { a: { b: { c: 1 } } };\n"
        "message A {\n"
        "  option (m) = { group: { message: 1 } };\n"
        "  oneof o { int32 x = 1 [(g) = { message: { } }]; }\n"
        "  enum E { V = 0 [(v) = { a: 1 }]; }\n"
        "  extend A { optional int32 group = 100; }\n"
        "  optional group.Type t = 2;\n"
        "  optional int32 map = 3;\n"
        "}\n"
        "service S { rpc R(stream A) returns (A) { option (r) = { message: 1 }; } }\n";
    auto s = prescan_proto({"a.proto", text}, limits);
    EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST(Prescan, CountsEveryBracketKind) {
    PushLimits limits;
    limits.max_nesting = 3;
    EXPECT_TRUE(prescan_proto({"a.proto", "{[(x)]}"}, limits).ok());
    EXPECT_FALSE(prescan_proto({"a.proto", "{[(<x>)]}"}, limits).ok());
    EXPECT_FALSE(prescan_proto({"a.proto", "(((("}, limits).ok());
    EXPECT_FALSE(prescan_proto({"a.proto", "[[[["}, limits).ok());
}

TEST(Prescan, IgnoresStringsAndComments) {
    PushLimits limits;
    limits.max_nesting = 2;
    const std::string text =
        "// {{{{{{{{\n"
        "/* [[[[[[[[ \n (((((( */\n"
        "option (a) = \"{{{{{\\\"{{{{\";\n"
        "option (b) = '<<<<\\'<<<<';\n"
        "message A { message B { } }\n";
    EXPECT_TRUE(prescan_proto({"a.proto", text}, limits).ok());
    auto s =
        prescan_proto({"a.proto", text + "message C { message D { message E {} } }\n"}, limits);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().details[0].line, 7);
    EXPECT_EQ(s.error().details[0].column, 35);
}

TEST(Prescan, TabsAdvanceColumnsLikeLibprotobuf) {
    PushLimits limits;
    limits.max_nesting = 0;
    auto s = prescan_proto({"a.proto", "\t{"}, limits);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().details[0].column, 9);
}

TEST(Prescan, EnforcesSizeCap) {
    PushLimits limits;
    limits.max_file_bytes = 16;
    auto s = prescan_proto({"big.proto", std::string(17, ' ')}, limits);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::PayloadTooLarge);
    EXPECT_NE(s.error().message.find("big.proto"), std::string::npos);
}

// --- compile -----------------------------------------------------------------------------------

TEST(Compile, MultiFileImportIsDependencyFirst) {
    CompileRequest req;
    req.files = {
        {"acme/a.proto",
         "syntax = \"proto3\";\npackage acme;\nimport \"acme/b.proto\";\n"
         "message A { B b = 1; }\n"},
        {"acme/b.proto", "syntax = \"proto3\";\npackage acme;\nmessage B { int32 x = 1; }\n"},
    };
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    pb::FileDescriptorSet set;
    EXPECT_EQ(file_names(*r, &set), (std::vector<std::string>{"acme/b.proto", "acme/a.proto"}));
    EXPECT_FALSE(set.file(0).has_source_code_info());
    EXPECT_EQ(set.file(1).message_type(0).field(0).type_name(), ".acme.B");
}

TEST(Compile, SourceInfoOnlyWhenAsked) {
    CompileRequest req;
    req.files = {{"a.proto", "syntax = \"proto3\";\n// A doc.\nmessage A { int32 x = 1; }\n"}};
    req.include_source_info = true;
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    pb::FileDescriptorSet set;
    file_names(*r, &set);
    ASSERT_TRUE(set.file(0).has_source_code_info());
    EXPECT_GT(set.file(0).source_code_info().location_size(), 0);
}

TEST(Compile, ImportsDependencyFiles) {
    CompileRequest req;
    req.files = {{"acme/order.proto",
                  "syntax = \"proto3\";\npackage acme;\nimport \"common/money.proto\";\n"
                  "message Order { common.Money total = 1; }\n"}};
    req.dependencies = {
        snapshot("common", "1.0.0",
                 {{"common/money.proto",
                   "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; }\n"},
                  {"common/unused.proto", "syntax = \"proto3\";\npackage common;\n"}})};
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    // Only reachable files are included.
    EXPECT_EQ(file_names(*r), (std::vector<std::string>{"common/money.proto", "acme/order.proto"}));
}

TEST(Compile, ImportsWellKnownTypes) {
    CompileRequest req;
    req.files = {
        {"e.proto",
         "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n"
         "import \"google/protobuf/any.proto\";\n"
         "message E { google.protobuf.Timestamp at = 1; google.protobuf.Any body = 2; }\n"}};
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto names = file_names(*r);
    ASSERT_EQ(names.size(), 3u);
    EXPECT_LT(index_of(names, "google/protobuf/timestamp.proto"), index_of(names, "e.proto"));
    EXPECT_LT(index_of(names, "google/protobuf/any.proto"), index_of(names, "e.proto"));
    EXPECT_TRUE(r->warnings.empty());
}

TEST(Compile, EveryWellKnownTypeImports) {
    const char* wkts[] = {"descriptor", "any",      "duration", "empty", "field_mask",    "struct",
                          "timestamp",  "wrappers", "api",      "type",  "source_context"};
    std::string text = "syntax = \"proto3\";\n";
    for (const char* w : wkts) text += std::string("import \"google/protobuf/") + w + ".proto\";\n";
    CompileRequest req;
    req.files = {{"all.proto", text}};
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto names = file_names(*r);
    for (const char* w : wkts) {
        EXPECT_LT(index_of(names, std::string("google/protobuf/") + w + ".proto"), names.size())
            << w;
    }
    EXPECT_EQ(names.back(), "all.proto");
    EXPECT_EQ(r->warnings.size(), std::size(wkts));  // every import is unused
}

TEST(Compile, CustomOptionsOnDescriptorProto) {
    CompileRequest req;
    req.files = {{"opt.proto",
                  "syntax = \"proto3\";\nimport \"google/protobuf/descriptor.proto\";\n"
                  "message R { R r = 1; int32 v = 2; }\n"
                  "extend google.protobuf.MessageOptions { R x = 50001; }\n"
                  "message M { option (x) = { r: { r: { v: 1 } } }; }\n"}};
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST(Compile, SyntaxErrorHasOneBasedPosition) {
    CompileRequest req;
    req.files = {{"bad.proto", "syntax = \"proto3\";\nmessage A {\n  int32 x = ;\n}\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    ASSERT_FALSE(r.error().details.empty());
    const auto& d = r.error().details[0];
    EXPECT_EQ(d.file, "bad.proto");
    EXPECT_EQ(d.line, 3);
    EXPECT_EQ(d.column, 13);
    EXPECT_NE(r.error().message.find("bad.proto:3:13"), std::string::npos) << r.error().message;
}

// libprotobuf reports these without a position (line -1): they point at the element instead.
TEST(Compile, ErrorsWithoutALibraryPositionPointAtTheElement) {
    struct Case {
        std::string content;
        int line, column;
    };
    const Case cases[] = {
        {"syntax = \"proto3\";\npackage p;\nmessage M {\n  reserved 1;\n  int32 x = 1;\n}\n", 5, 3},
        {"syntax = \"proto3\";\nmessage M {\n  reserved 1 to 5, 3;\n}\n", 2, 1},
        {"syntax = \"proto3\";\nenum E {\n  A = 0;\n  reserved 0;\n}\n", 3, 3},
    };
    for (const auto& c : cases) {
        CompileRequest req;
        req.files = {{"r.proto", c.content}};
        auto r = compile(req);
        ASSERT_FALSE(r.ok()) << c.content;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
        ASSERT_FALSE(r.error().details.empty());
        for (const auto& d : r.error().details) {
            EXPECT_GE(d.line, 1) << c.content << d.message;
            EXPECT_GE(d.column, 1) << c.content << d.message;
        }
        EXPECT_EQ(r.error().details[0].line, c.line) << c.content;
        EXPECT_EQ(r.error().details[0].column, c.column) << c.content;
    }
}

TEST(Compile, LinkErrorIsInvalidProto) {
    CompileRequest req;
    req.files = {{"a.proto", "syntax = \"proto3\";\nmessage A {\n  Missing m = 1;\n}\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    ASSERT_FALSE(r.error().details.empty());
    EXPECT_EQ(r.error().details[0].line, 3);
    EXPECT_EQ(r.error().details[0].column, 3);
    EXPECT_NE(r.error().details[0].message.find("Missing"), std::string::npos);
}

TEST(Compile, UnresolvedImport) {
    CompileRequest req;
    req.files = {
        {"a.proto", "syntax = \"proto3\";\nimport \"x.proto\";\nmessage A { x.X v = 1; }\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::UnresolvedImport);
    ASSERT_EQ(r.error().details.size(), 1u);
    const auto& d = r.error().details[0];
    EXPECT_EQ(d.file, "a.proto");
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(d.column, 1);  // libprotobuf points at the import statement
    EXPECT_EQ(d.message, "import \"x.proto\" not found");
    EXPECT_NE(r.error().message.find("a.proto"), std::string::npos);
}

TEST(Compile, TraversalImportDoesNotResolve) {
    CompileRequest req;
    req.files = {{"a/b.proto", "syntax = \"proto3\";\nimport \"a/../a/c.proto\";\n"},
                 {"a/c.proto", "syntax = \"proto3\";\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::UnresolvedImport);
}

TEST(Compile, SelfImportIsAnError) {
    CompileRequest req;
    req.files = {{"a.proto", "syntax = \"proto3\";\nimport \"a.proto\";\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
}

TEST(Compile, DuplicateProviders) {
    const ProtoFile shared{"common/x.proto", "syntax = \"proto3\";\npackage common;\n"};
    CompileRequest req;
    req.files = {{"a.proto", "syntax = \"proto3\";\n"}};
    req.dependencies = {snapshot("x", "1.0.0", {shared}), snapshot("y", "2.0.0", {shared})};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    EXPECT_EQ(r.error().message,
              "import path common/x.proto is provided by both module x@1.0.0 and module y@2.0.0");

    req.files.push_back(shared);
    req.dependencies.pop_back();
    r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    EXPECT_NE(r.error().message.find("module x@1.0.0"), std::string::npos) << r.error().message;
}

TEST(Compile, SameDependencyListedTwiceIsNotAConflict) {
    auto dep = snapshot("x", "1.0.0", {{"x/x.proto", "syntax = \"proto3\";\n"}});
    CompileRequest req;
    req.files = {{"a.proto", "syntax = \"proto3\";\nimport \"x/x.proto\";\n"}};
    req.dependencies = {dep, dep};
    auto r = compile(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->warnings.size(), 1u);  // unused import
    EXPECT_EQ(r->warnings[0].file, "a.proto");
    EXPECT_EQ(r->warnings[0].line, 2);
}

TEST(Compile, WellKnownPathsCannotBeShadowed) {
    CompileRequest req;
    req.files = {{"google/protobuf/timestamp.proto", "syntax = \"proto3\";\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    EXPECT_NE(r.error().message.find("well-known"), std::string::npos);
}

TEST(Compile, DeepNestedMessageIsAnErrorNotACrash) {
    CompileRequest req;
    req.files = {{"deep.proto", "syntax = \"proto3\";\n" + nested("message M {", "}", 10000)}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
}

// libprotobuf 3.21 accepts 31 nested message types and refuses the 32nd without a position; the
// pre-scan stops there first, so every refusal points at the offending brace.
TEST(Compile, NestedMessagesUpToTheLibraryLimitCompile) {
    for (int depth : {30, 31}) {
        CompileRequest req;
        req.files = {{"deep.proto", "syntax = \"proto3\";\n" + nested("message M {", "}", depth)}};
        auto r = compile(req);
        EXPECT_TRUE(r.ok()) << depth << ": " << r.error().message;
    }
    // A map field's entry type at the 31st level is fine too.
    CompileRequest req;
    req.files = {{"map.proto", "syntax = \"proto3\";\n" + nested("message M {", "}", 30)}};
    req.files[0].content.insert(req.files[0].content.size() - 30, "map<string, int32> m = 1;");
    auto r = compile(req);
    EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(Compile, NestedMessagesPastTheLibraryLimitHavePositions) {
    for (int depth : {32, 33, 40, 63, 64, 65, 70}) {
        CompileRequest req;
        req.files = {{"deep.proto", "syntax = \"proto3\";\n" + nested("message M {", "}", depth)}};
        auto r = compile(req);
        ASSERT_FALSE(r.ok()) << depth;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
        ASSERT_EQ(r.error().details.size(), 1u) << depth;
        const auto& d = r.error().details[0];
        EXPECT_EQ(d.file, "deep.proto");
        EXPECT_EQ(d.line, 2) << depth;
        EXPECT_EQ(d.column, 32 * 11) << depth;
    }
    // A map field at the 31st level declares a 32nd: its entry type.
    CompileRequest req;
    req.files = {{"map.proto", "syntax = \"proto3\";\n" + nested("message M {", "}", 31)}};
    req.files[0].content.insert(req.files[0].content.size() - 31, "map<string, int32> m = 1;");
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.error().details.size(), 1u);
    EXPECT_EQ(r.error().details[0].line, 2);
    EXPECT_EQ(r.error().details[0].column, 31 * 11 + 1);
}

TEST(Compile, GroupsCountLikeLibprotobuf) {
    auto file = [](int depth) {
        return ProtoFile{"g.proto",
                         "syntax = \"proto2\";\n" +
                             nested("message M {", "}", depth)
                                 .insert(static_cast<size_t>(depth) * 11,
                                         "optional group G = 1 { optional int32 x = 2; }")};
    };
    CompileRequest req;
    req.files = {file(30)};
    auto r = compile(req);
    EXPECT_TRUE(r.ok()) << r.error().message;
    req.files = {file(31)};
    r = compile(req);
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.error().details.size(), 1u);
    EXPECT_EQ(r.error().details[0].line, 2);
    EXPECT_GE(r.error().details[0].column, 1);
}

TEST(Compile, AggregateOptionsInsideDeepMessagesCompile) {
    // Aggregate values are not message nesting: 31 messages holding a 30-deep option value.
    std::string text =
        "syntax = \"proto3\";\nimport \"google/protobuf/descriptor.proto\";\n"
        "message R { R r = 1; int32 v = 2; }\n"
        "extend google.protobuf.MessageOptions { R x = 50001; }\n" +
        nested("message M {", "}", 31);
    text.insert(text.size() - 31, "option (x) = { " + nested("r: {", "}", 30) + " };");
    CompileRequest req;
    req.files = {{"opt.proto", text}};
    auto r = compile(req);
    EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(Compile, DeepAggregateOptionIsAnErrorNotACrash) {
    std::string value = nested("r: {", "}", 5000);
    CompileRequest req;
    req.files = {{"opt.proto",
                  "syntax = \"proto3\";\nimport \"google/protobuf/descriptor.proto\";\n"
                  "message R { R r = 1; }\n"
                  "extend google.protobuf.MessageOptions { R x = 50001; }\n"
                  "message M { option (x) = { " +
                      value + " }; }\n"}};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    ASSERT_EQ(r.error().details.size(), 1u);
    EXPECT_EQ(r.error().details[0].line, 5);
}

TEST(Compile, DeepNestingInDependencyIsRejected) {
    CompileRequest req;
    req.files = {{"a.proto", "syntax = \"proto3\";\n"}};
    req.dependencies = {
        snapshot("x", "1.0.0", {{"x/deep.proto", nested("message M {", "}", 10000)}})};
    auto r = compile(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidProto);
    EXPECT_NE(r.error().message.find("x@1.0.0"), std::string::npos);
}

TEST(Compile, ConcurrentCompilationsAreIndependent) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0}, failed_as_expected{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                CompileRequest req;
                if ((t + i) % 2 == 0) {
                    req.files = {
                        {"a.proto",
                         "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";"
                         "\nmessage A { google.protobuf.Timestamp t = 1; }\n"}};
                    if (compile_schema(req, {}).ok()) ++ok;
                } else {
                    req.files = {{"a.proto", "syntax = \"proto3\";\nmessage A { B b = 1; }\n"}};
                    auto r = compile_schema(req, {});
                    if (!r.ok() && r.error().code == ErrorCode::InvalidProto) ++failed_as_expected;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 50);
    EXPECT_EQ(failed_as_expected.load(), 50);
}

}  // namespace
}  // namespace spoke
