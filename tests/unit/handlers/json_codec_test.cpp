#include "handlers/json_codec.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

JsonPtr parse(std::string_view text) {
    auto r = parse_json_object(text);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : JsonPtr(json_object());
}

TEST(JsonText, RepairsInvalidUtf8) {
    JsonPtr s =
        json_text(std::string_view("a\xff"
                                   "b",
                                   3));
    ASSERT_TRUE(json_is_string(s.get()));
    EXPECT_EQ(std::string(json_string_value(s.get())),
              "a\xef\xbf\xbd"
              "b");
    JsonPtr nul = json_text(std::string_view("a\0b", 3));
    EXPECT_EQ(dump_json(nul.get()), "\"a\\u0000b\"");
}

TEST(ModuleJson, RoundTripsWithLatestAndNull) {
    Module m{"acme.billing", "Billing \"API\" \xc3\xa9", 1795289629123, 1795289630000, "v1.2.0", 3};
    const std::string text = dump_json(module_to_json(m).get());
    EXPECT_EQ(
        text,
        "{\"name\":\"acme.billing\",\"description\":\"Billing \\\"API\\\" \xc3\xa9\","
        "\"created_at\":\"2026-11-21T19:33:49.123Z\",\"updated_at\":\"2026-11-21T19:33:50.000Z\","
        "\"latest_version\":\"v1.2.0\",\"version_count\":3}");
    auto back = module_from_json(parse(text).get());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->name, m.name);
    EXPECT_EQ(back->description, m.description);
    EXPECT_EQ(back->created_at, m.created_at);
    EXPECT_EQ(back->updated_at, m.updated_at);
    EXPECT_EQ(back->latest_version, m.latest_version);
    EXPECT_EQ(back->version_count, 3u);

    m.latest_version.reset();
    const std::string empty = dump_json(module_to_json(m).get());
    EXPECT_NE(empty.find("\"latest_version\":null"), std::string::npos);
    auto back2 = module_from_json(parse(empty).get());
    ASSERT_TRUE(back2.ok());
    EXPECT_FALSE(back2->latest_version.has_value());
}

VersionSnapshot sample_snapshot() {
    VersionSnapshot s;
    s.record.module_name = "acme";
    s.record.version = "v1.0.0";
    s.record.digest = "sha256:abc";
    s.record.created_at = 1795289629123;
    s.record.dependencies = {"base@1.0.0", "common@v2.1.0"};
    s.record.source_info = {"https://example.invalid/acme", "deadbeef", "main"};
    s.record.files = {{"a/a.proto", "11", 9}, {"b.proto", "22", 4}};
    s.files = {{"a/a.proto", "syntax=1;"}, {"b.proto", "x\ny\n"}};
    return s;
}

TEST(VersionJson, SummaryRoundTrips) {
    const VersionSnapshot s = sample_snapshot();
    JsonPtr j = version_summary_to_json(s.record);
    EXPECT_EQ(json_object_get(json_array_get(json_object_get(j.get(), "files"), 0), "content"),
              nullptr);
    auto back = version_summary_from_json(parse(dump_json(j.get())).get());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->module_name, "acme");
    EXPECT_EQ(back->version, "v1.0.0");
    EXPECT_EQ(back->digest, "sha256:abc");
    EXPECT_EQ(back->created_at, s.record.created_at);
    EXPECT_EQ(back->dependencies, s.record.dependencies);
    EXPECT_EQ(back->source_info.repository, "https://example.invalid/acme");
    EXPECT_EQ(back->source_info.commit_sha, "deadbeef");
    EXPECT_EQ(back->source_info.branch, "main");
    ASSERT_EQ(back->files.size(), 2u);
    EXPECT_EQ(back->files[1].path, "b.proto");
    EXPECT_EQ(back->files[1].sha256, "22");
    EXPECT_EQ(back->files[1].size, 4u);
}

TEST(VersionJson, VersionCarriesContents) {
    const VersionSnapshot s = sample_snapshot();
    JsonPtr j = version_to_json(s);
    const json_t* files = json_object_get(j.get(), "files");
    ASSERT_EQ(json_array_size(files), 2u);
    EXPECT_STREQ(json_string_value(json_object_get(json_array_get(files, 0), "content")),
                 "syntax=1;");
    EXPECT_STREQ(json_string_value(json_object_get(json_array_get(files, 1), "content")), "x\ny\n");
    EXPECT_STREQ(json_string_value(json_object_get(json_array_get(files, 1), "sha256")), "22");
}

TEST(ParseJson, MalformedNamesLineAndColumn) {
    auto r = parse_json_object("{\n  \"a\": tru\n}");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
    EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("column"), std::string::npos) << r.error().message;
}

TEST(ParseJson, RejectsNonObjectsEmptyNulsAndDuplicates) {
    EXPECT_FALSE(parse_json_object("").ok());
    EXPECT_FALSE(parse_json_object("[1]").ok());
    EXPECT_FALSE(parse_json_object("{\"a\":\"x\\u0000y\"}").ok());
    EXPECT_FALSE(parse_json_object("{\"a\":1,\"a\":2}").ok());
    EXPECT_TRUE(parse_json_object("{\"a\":1}").ok());
}

// The parser's own text names its options ("... without JSON_ALLOW_NUL"); ours never does.
void expect_json_error(std::string_view body, std::string_view reason, int line, int column) {
    auto r = parse_json_object(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
    const std::string& m = r.error().message;
    EXPECT_EQ(m, "the request body is not valid JSON: " + std::string(reason) + " at line " +
                     std::to_string(line) + ", column " + std::to_string(column))
        << body;
    for (const char* word : {"JSON_", "jansson", "json_", "protobuf", "near"}) {
        EXPECT_EQ(m.find(word), std::string::npos) << word << " in " << m;
    }
}

TEST(ParseJson, ErrorsAreInOurWordsWithPosition) {
    expect_json_error(R"({"a":"x\u0000y"})", "a string contains a NUL character (\\u0000)", 1, 15);
    expect_json_error(R"({"a\u0000b":1})", "an object key contains a NUL character (\\u0000)", 1,
                      11);
    expect_json_error(R"({"a":)", "the body ends before the JSON value is complete", 1, 5);
    expect_json_error("{\"a\":\n  [1, 2", "the body ends before the JSON value is complete", 2, 7);
    expect_json_error(R"({"a":1} x)", "there is more text after the JSON value", 1, 9);
    expect_json_error(R"({"a":1,"a":2})", "an object has the same key twice", 1, 10);
    expect_json_error("{\"a\":\"\xff\"}", "the text is not valid UTF-8", 1, 6);
    expect_json_error(R"({"a":1e999})", "a number is too large", 1, 10);
    expect_json_error(R"({"a":123456789012345678901234567890})", "a number is too large", 1, 35);
    expect_json_error("{\n  \"a\": tru\n}", "unexpected or malformed text", 2, 10);
    expect_json_error(R"({'a':1})", "unexpected or malformed text", 1, 2);
    expect_json_error(R"({"a":"\x"})", "unexpected or malformed text", 1, 8);
    expect_json_error("{\"a\":" + std::string(3000, '[') + std::string(3000, ']') + "}",
                      "arrays and objects are nested too deeply", 1, 2053);
    // Whitespace only: the parser has no column yet; ours is still 1-based.
    expect_json_error("  ", "the body ends before the JSON value is complete", 1, 2);
    expect_json_error("\n", "the body ends before the JSON value is complete", 2, 1);
}

TEST(ParseJson, DescribeUnknownCodesGenerically) {
    json_error_t e{};
    e.line = 0;
    e.column = 0;
    e.text[JSON_ERROR_TEXT_LENGTH - 1] = static_cast<char>(json_error_item_not_found);
    EXPECT_EQ(describe_json_error(e),
              "the request body is not valid JSON: the text could not be read as JSON at line 1, "
              "column 1");
}

TEST(DecodePush, ReadsEverything) {
    JsonPtr body = parse(R"({"version":"1.0.0","files":[{"path":"a.proto","content":"x"}],
        "dependencies":["base@latest"],"source_info":{"repository":"r","commit_sha":"c"}})");
    auto r = decode_push_request(body.get(), "acme");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->module, "acme");
    EXPECT_EQ(r->version, "1.0.0");
    ASSERT_EQ(r->files.size(), 1u);
    EXPECT_EQ(r->files[0].path, "a.proto");
    EXPECT_EQ(r->files[0].content, "x");
    EXPECT_EQ(r->dependencies, std::vector<std::string>{"base@latest"});
    EXPECT_EQ(r->source_info.repository, "r");
    EXPECT_EQ(r->source_info.commit_sha, "c");
    EXPECT_EQ(r->source_info.branch, "");
}

std::string push_error(std::string_view text) {
    JsonPtr body = parse(text);
    auto r = decode_push_request(body.get(), "acme");
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().message;
}

TEST(DecodePush, NamesTheWrongField) {
    EXPECT_EQ(push_error(R"({"files":[]})"), "\"version\" is required");
    EXPECT_EQ(push_error(R"({"version":1,"files":[]})"), "\"version\" must be a string");
    EXPECT_EQ(push_error(R"({"version":"1.0.0"})"), "\"files\" is required");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":{}})"),
              "\"files\" must be an array of {path, content}");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":[{"path":"a.proto","content":"x"},
        {"path":"b.proto","content":"x"},{"path":"c.proto","content":7}]})"),
              "\"files[2].content\" must be a string");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":[{"content":"x"}]})"),
              "\"files[0].path\" is required");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":[3]})"), "\"files[0]\" must be an object");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":[],"dependencies":["a@1.0.0",2]})"),
              "\"dependencies[1]\" must be a string");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":[],"source_info":{"branch":5}})"),
              "\"source_info.branch\" must be a string");
    EXPECT_EQ(push_error(R"({"version":"1.0.0","files":[],"source_info":"x"})"),
              "\"source_info\" must be an object");
}

TEST(DecodeCreateModule, NameRequiredDescriptionOptional) {
    auto ok = decode_create_module(parse(R"({"name":"acme"})").get());
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->name, "acme");
    EXPECT_EQ(ok->description, "");
    auto bad = decode_create_module(parse(R"({"name":"acme","description":[]})").get());
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "\"description\" must be a string");
    EXPECT_FALSE(decode_create_module(parse(R"({"description":"x"})").get()).ok());
}

TEST(DecodeValidate, FilesOrSingleContent) {
    auto single = decode_validate_request(parse(R"({"content":"syntax = \"proto3\";"})").get());
    ASSERT_TRUE(single.ok());
    ASSERT_EQ(single->files.size(), 1u);
    EXPECT_EQ(single->files[0].path, "schema.proto");
    auto many = decode_validate_request(
        parse(R"({"files":[{"path":"a.proto","content":""}],"dependencies":["b@1.0.0"]})").get());
    ASSERT_TRUE(many.ok());
    EXPECT_EQ(many->files.size(), 1u);
    EXPECT_EQ(many->dependencies.size(), 1u);
    auto none = decode_validate_request(parse(R"({})").get());
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, ErrorCode::BadRequest);
}

TEST(Diagnostics, Shape) {
    JsonPtr d = diagnostics_to_json({{"a.proto", 3, 7, "boom"}});
    EXPECT_EQ(dump_json(d.get()), R"([{"file":"a.proto","line":3,"column":7,"message":"boom"}])");
}

}  // namespace
}  // namespace spoke
