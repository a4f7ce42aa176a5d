// The JSON of the code generation routes: the compile body decoder, the language list and a
// job's results as seen through the job table.

#include "handlers/codegen_json.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

Result<CompileRequestBody> decode(const std::string& text) {
    auto json = parse_json_object(text);
    EXPECT_TRUE(json.ok()) << text;
    return decode_compile_request(json->get());
}

TEST(CompileRequestBody, Decodes) {
    auto ok = decode(R"({"languages": ["cpp", "go"], "include_grpc": true, "other": 1})");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->languages, (std::vector<std::string>{"cpp", "go"}));
    EXPECT_TRUE(ok->include_grpc);
    auto plain = decode(R"({"languages": ["java"], "include_grpc": null})");
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->include_grpc);
    for (const char* bad :
         {R"({})", R"({"languages": null})", R"({"languages": []})", R"({"languages": "cpp"})",
          R"({"languages": [1]})", R"({"languages": ["cpp", "cpp"]})",
          R"({"languages": ["cpp"], "include_grpc": 1})"}) {
        auto r = decode(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::BadRequest) << bad;
    }
    EXPECT_NE(decode(R"({"languages": ["a", 2]})").error().message.find("languages[1]"),
              std::string::npos);
}

TEST(LanguagesJson, ListsTheCatalog) {
    const LanguageCatalog catalog = LanguageCatalog::discover("");
    JsonPtr list = languages_to_json(catalog);
    ASSERT_EQ(json_array_size(list.get()), catalog.languages().size());
    const json_t* cpp = json_array_get(list.get(), 0);
    EXPECT_STREQ(json_string_value(json_object_get(cpp, "id")), "cpp");
    EXPECT_TRUE(json_is_false(json_object_get(cpp, "supports_grpc")));
    EXPECT_EQ(json_array_size(json_object_get(cpp, "file_extensions")), 2u);
    EXPECT_EQ(json_object_size(cpp), 5u);
}

TEST(CompileJobTable, ProgressSeenThroughTheTableIsLive) {
    CompileJobTable table(10, 60000);
    auto progress = std::make_shared<GenerationProgress>(0);
    CompileJob job{"m", "1.0.0", "latest", {{"cpp", false, progress}}};
    const std::string id = table.add(job, 0);
    EXPECT_EQ(table.find(id, 1)->results[0].progress->view(1).stage,
              GenerationProgress::Stage::Queued);
    progress->set_completed(10, "sha");
    JsonPtr body = compile_job_to_json(id, *table.find(id, 20), 20);
    EXPECT_EQ(dump_json(body.get()),
              "{\"job_id\":\"" + id +
                  "\",\"results\":[{\"language\":\"cpp\",\"status\":\"completed\","
                  "\"cache_hit\":false,\"duration_ms\":10,\"artifact_sha256\":\"sha\"}]}");
}

}  // namespace
}  // namespace spoke
