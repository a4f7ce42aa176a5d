// The JSON of the compatibility routes: CompatResult, the push gate's 409, diffs and request
// bodies (moved here from compat_check_test.cpp when the checks moved to services/).

#include "handlers/compat_json.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace spoke {
namespace {

JsonPtr parse(std::string_view text) {
    auto r = parse_json_object(text);
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::move(r).value() : JsonPtr(json_object());
}

CompatOutcome sample_outcome(bool against_several) {
    CompatOutcome o;
    o.mode = CompatMode::BackwardTransitive;
    o.old_version = "2.0.0";
    o.new_version = "3.0.0";
    o.against_several = against_several;
    Violation v{"FIELD_WIRE_COMPATIBLE_TYPE",
                ViolationLevel::Error,
                "Field changed type.",
                "acme/user.proto",
                4,
                "acme.User.age",
                "int32",
                "string"};
    o.findings.push_back({v, "1.0.0"});
    v.level = ViolationLevel::Warning;
    v.rule = "FIELD_SAME_JSON_NAME";
    o.findings.push_back({v, "2.0.0"});
    o.error_count = 1;
    o.warning_count = 1;
    return o;
}

TEST(CompatJson, RendersACompatResult) {
    const std::string text = dump_json(compat_outcome_to_json(sample_outcome(true)).get());
    EXPECT_EQ(text,
              R"({"compatible":false,"mode":"BACKWARD_TRANSITIVE","old_version":"2.0.0",)"
              R"("new_version":"3.0.0","violations":[{"rule":"FIELD_WIRE_COMPATIBLE_TYPE",)"
              R"("level":"error","message":"Field changed type.","file":"acme/user.proto",)"
              R"("line":4,"element":"acme.User.age","old_value":"int32","new_value":"string",)"
              R"("against_version":"1.0.0"},{"rule":"FIELD_SAME_JSON_NAME","level":"warning",)"
              R"("message":"Field changed type.","file":"acme/user.proto","line":4,)"
              R"("element":"acme.User.age","old_value":"int32","new_value":"string",)"
              R"("against_version":"2.0.0"}],"error_count":1,"warning_count":1,"info_count":0})");
    // A single-version check carries no against_version; no older version renders null.
    CompatOutcome single = sample_outcome(false);
    single.old_version.clear();
    JsonPtr j = compat_outcome_to_json(single);
    EXPECT_TRUE(json_is_null(json_object_get(j.get(), "old_version")));
    json_t* first = json_array_get(json_object_get(j.get(), "violations"), 0);
    EXPECT_EQ(json_object_get(first, "against_version"), nullptr);
}

TEST(CompatJson, IncompatiblePushIsAnErrorAndACompatResult) {
    JsonPtr j = incompatible_push_to_json(sample_outcome(true));
    EXPECT_STREQ(json_string_value(json_object_get(j.get(), "code")), "INCOMPATIBLE");
    const std::string error = json_string_value(json_object_get(j.get(), "error"));
    EXPECT_NE(error.find("\"3.0.0\""), std::string::npos) << error;
    EXPECT_NE(error.find("BACKWARD_TRANSITIVE"), std::string::npos) << error;
    EXPECT_NE(error.find("\"1.0.0\": Field changed type."), std::string::npos) << error;
    EXPECT_EQ(json_object_get(j.get(), "compatible"), json_false());
    EXPECT_EQ(json_object_size(j.get()), 10u);
}

TEST(CompatJson, RendersADiffAndAConfig) {
    SchemaChange c{"FIELD_ADDED", "non_breaking", "acme.User.name", "acme/user.proto", "",
                   "string",      "Field added."};
    EXPECT_EQ(dump_json(schema_diff_to_json("1.0.0", "1.1.0", {c}).get()),
              R"({"from_version":"1.0.0","to_version":"1.1.0","changes":[{"type":"FIELD_ADDED",)"
              R"("severity":"non_breaking","element":"acme.User.name","file":"acme/user.proto",)"
              R"("old_value":"","new_value":"string","description":"Field added."}]})");
    EXPECT_EQ(dump_json(compat_config_to_json("FULL").get()), R"({"compatibility":"FULL"})");
}

TEST(CompatJson, DecodesRequestBodies) {
    auto level = decode_compat_config(parse(R"({"compatibility":"FORWARD_TRANSITIVE"})").get());
    ASSERT_TRUE(level.ok());
    EXPECT_EQ(*level, CompatMode::ForwardTransitive);
    for (const char* bad : {R"({})", R"({"compatibility":null})", R"({"compatibility":1})",
                            R"({"compatibility":"forward"})", R"({"compatibility":" NONE"})"}) {
        auto r = decode_compat_config(parse(bad).get());
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
        EXPECT_NE(r.error().message.find("\"compatibility\""), std::string::npos);
    }

    auto check =
        decode_compat_check(parse(R"({"old_version":"1.0.0","new_version":"v2.0.0"})").get());
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(check->old_version, "1.0.0");
    EXPECT_EQ(check->new_version, "v2.0.0");
    EXPECT_FALSE(check->mode.has_value());
    check = decode_compat_check(
        parse(R"({"old_version":"1.0.0","new_version":"2.0.0","mode":"FULL"})").get());
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(check->mode, CompatMode::Full);
    for (const char* bad : {R"({"new_version":"2.0.0"})", R"({"old_version":"1.0.0"})",
                            R"({"old_version":"1","new_version":"2","mode":"full"})",
                            R"({"old_version":"1","new_version":"2","mode":[]})"}) {
        auto r = decode_compat_check(parse(bad).get());
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
    }

    auto diff =
        decode_diff_request(parse(R"({"from_version":"1.0.0","to_version":"2.0.0"})").get());
    ASSERT_TRUE(diff.ok());
    EXPECT_EQ(diff->to_version, "2.0.0");
    EXPECT_FALSE(decode_diff_request(parse(R"({"from_version":"1.0.0"})").get()).ok());
}

}  // namespace
}  // namespace spoke
