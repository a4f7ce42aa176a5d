#include "registry/compat/compatibility.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "registry/compat/schema_image.hpp"
#include "registry/proto_compiler.hpp"
#include "tests/support/schema_image_support.hpp"

namespace spoke {
namespace {

using testing::image_of;

constexpr const char* kPath = "acme/v1/a.proto";

std::unique_ptr<SchemaImage> image_of(const std::string& text) {
    return image_of(std::vector<ProtoFile>{{kPath, text}});
}

const std::string kP3 = "syntax = \"proto3\";\npackage acme.v1;\n";  // lines 1-2
const std::string kP2 = "syntax = \"proto2\";\npackage acme.v1;\n";

CompatReport check(const std::string& before, const std::string& after,
                   CompatMode mode = CompatMode::Backward) {
    auto older = image_of(before);
    auto newer = image_of(after);
    if (!older || !newer) return {};
    return check_compatibility(*older, *newer, mode);
}

std::vector<const Violation*> find_all(const CompatReport& report, const std::string& rule) {
    std::vector<const Violation*> out;
    for (const auto& v : report.violations) {
        if (v.rule == rule) out.push_back(&v);
    }
    return out;
}

// The only violation of `rule`; fails the test when there is none or several.
const Violation& only(const CompatReport& report, const std::string& rule) {
    static const Violation kNone{"<none>", ViolationLevel::Info, "", "", 0, "", "", ""};
    auto all = find_all(report, rule);
    EXPECT_EQ(all.size(), 1u) << "violations of " << rule;
    return all.empty() ? kNone : *all.front();
}

std::string rules_of(const CompatReport& report) {
    std::string out;
    for (const auto& v : report.violations) {
        out += v.rule + "(" + violation_level_name(v.level) + ") ";
    }
    return out;
}

TEST(CompatModes, ParseAndNameRoundTrip) {
    for (const char* name : {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
                             "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}) {
        auto mode = parse_compat_mode(name);
        ASSERT_TRUE(mode.has_value()) << name;
        EXPECT_STREQ(compat_mode_name(*mode), name);
    }
    EXPECT_FALSE(parse_compat_mode("backward").has_value());
    EXPECT_FALSE(parse_compat_mode("").has_value());
    EXPECT_TRUE(is_transitive(CompatMode::FullTransitive));
    EXPECT_TRUE(is_transitive(CompatMode::BackwardTransitive));
    EXPECT_FALSE(is_transitive(CompatMode::Forward));
    EXPECT_STREQ(violation_level_name(ViolationLevel::Warning), "warning");
}

TEST(Compatibility, IdenticalSchemasHaveNoViolations) {
    const std::string text = kP3 + "message M { int32 a = 1; map<string, M> m = 2; }\n";
    CompatReport report = check(text, text, CompatMode::Full);
    EXPECT_TRUE(report.violations.empty()) << rules_of(report);
    EXPECT_TRUE(report.compatible());
}

TEST(Compatibility, NoneModeReportsNothingEvenForBreakingChanges) {
    CompatReport report = check(kP3 + "message M { int32 a = 1; }\n",
                                kP3 + "message M { string a = 1; }\n", CompatMode::None);
    EXPECT_TRUE(report.violations.empty());
    EXPECT_TRUE(report.compatible());
}

TEST(Compatibility, DeletedFieldWithoutReservationIsAnErrorAndAWarning) {
    CompatReport report = check(kP3 + "message User {\n  string id = 1;\n  string email = 2;\n}\n",
                                kP3 + "\nmessage User {\n  string id = 1;\n}\n");
    EXPECT_FALSE(report.compatible());
    EXPECT_EQ(report.error_count, 1);
    EXPECT_EQ(report.warning_count, 1);
    const Violation& number = only(report, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED");
    EXPECT_EQ(number.level, ViolationLevel::Error);
    EXPECT_EQ(number.element, "acme.v1.User.email");
    EXPECT_EQ(number.file, kPath);
    EXPECT_EQ(number.line, 4);  // the message in the newer file, where `reserved` goes
    EXPECT_NE(number.message.find("\"2\""), std::string::npos) << number.message;
    const Violation& name = only(report, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED");
    EXPECT_EQ(name.level, ViolationLevel::Warning);
    EXPECT_EQ(name.old_value, "email");
}

TEST(Compatibility, DeletedFieldWithNumberAndNameReservedIsOnlyAnInfo) {
    CompatReport report =
        check(kP3 + "message User { string id = 1; string email = 2; }\n",
              kP3 + "message User { string id = 1; reserved 2; reserved \"email\"; }\n");
    EXPECT_TRUE(report.compatible());
    EXPECT_EQ(report.warning_count, 0);
    EXPECT_EQ(only(report, "FIELD_NO_DELETE").level, ViolationLevel::Info);
}

TEST(Compatibility, DeletedFieldWithOnlyTheNumberReservedBreaksJsonOnly) {
    CompatReport report = check(kP3 + "message User { string id = 1; string email = 2; }\n",
                                kP3 + "message User { reserved 1 to 5; }\n");
    // Both numbers are reserved by the range, neither name is.
    EXPECT_TRUE(report.compatible()) << rules_of(report);
    EXPECT_EQ(find_all(report, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED").size(), 2u);
}

TEST(Compatibility, NestedMessageFieldTypeChangeOutsideTheWireGroupIsAnError) {
    CompatReport report =
        check(kP3 + "message Outer {\n  message Inner {\n    int32 value = 1;\n  }\n}\n",
              kP3 + "message Outer {\n  message Inner {\n\n    string value = 1;\n  }\n}\n");
    const Violation& v = only(report, "FIELD_WIRE_COMPATIBLE_TYPE");
    EXPECT_EQ(v.level, ViolationLevel::Error);
    EXPECT_EQ(v.element, "acme.v1.Outer.Inner.value");
    EXPECT_EQ(v.line, 6);
    EXPECT_EQ(v.old_value, "int32");
    EXPECT_EQ(v.new_value, "string");
    EXPECT_FALSE(report.compatible());
}

TEST(Compatibility, WireGroupsFollowBuf) {
    struct Case {
        const char* from;
        const char* to;
        const char* rule;  // nullptr: nothing at error or warning level
        ViolationLevel level;
    };
    const Case cases[] = {
        {"int32", "int64", "FIELD_WIRE_JSON_COMPATIBLE_TYPE", ViolationLevel::Warning},
        {"int32", "uint32", "FIELD_SAME_TYPE", ViolationLevel::Info},
        {"bool", "uint64", "FIELD_WIRE_JSON_COMPATIBLE_TYPE", ViolationLevel::Warning},
        {"sint32", "sint64", "FIELD_WIRE_JSON_COMPATIBLE_TYPE", ViolationLevel::Warning},
        {"sint32", "int32", "FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error},
        {"fixed32", "sfixed32", "FIELD_SAME_TYPE", ViolationLevel::Info},
        {"fixed32", "fixed64", "FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error},
        {"float", "double", "FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error},
        {"string", "bytes", "FIELD_WIRE_JSON_COMPATIBLE_TYPE", ViolationLevel::Warning},
        {"bytes", "string", "FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error},
        {"E", "int32", "FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error},
        {"N", "bytes", "FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error},
    };
    const std::string types = "enum E { E_0 = 0; }\nmessage N { int32 x = 1; }\n";
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.from) + " -> " + c.to);
        CompatReport report = check(kP3 + types + "message M { " + c.from + " a = 1; }\n",
                                    kP3 + types + "message M { " + c.to + " a = 1; }\n");
        const Violation& v = only(report, c.rule);
        EXPECT_EQ(v.level, c.level);
        EXPECT_EQ(v.element, "acme.v1.M.a");
        EXPECT_EQ(report.compatible(), c.level != ViolationLevel::Error);
        EXPECT_EQ(find_all(report, "FIELD_WIRE_COMPATIBLE_TYPE").size() +
                      find_all(report, "FIELD_WIRE_JSON_COMPATIBLE_TYPE").size() +
                      find_all(report, "FIELD_SAME_TYPE").size(),
                  1u)
            << rules_of(report);
    }
}

TEST(Compatibility, MessageAndEnumTypesAreComparedByIdentity) {
    const std::string types = "message A { int32 x = 1; }\nmessage B { int32 x = 1; }\n";
    CompatReport message =
        check(kP3 + types + "message M { A a = 1; }\n", kP3 + types + "message M { B a = 1; }\n");
    EXPECT_EQ(only(message, "FIELD_WIRE_COMPATIBLE_TYPE").new_value, "acme.v1.B");

    // buf lets an enum move when its short name stays and every old value keeps its number.
    CompatReport moved = check(
        kP3 + "enum Status { S_0 = 0; S_A = 1; }\nmessage M { Status s = 1; }\n",
        kP3 + "message M {\n  enum Status { S_0 = 0; S_A = 1; S_B = 2; }\n  Status s = 1;\n}\n");
    EXPECT_TRUE(moved.compatible()) << rules_of(moved);
    EXPECT_EQ(only(moved, "FIELD_SAME_TYPE").level, ViolationLevel::Info);
    EXPECT_EQ(only(moved, "ENUM_NO_DELETE").level, ViolationLevel::Info);

    CompatReport renamed = check(kP3 + "enum Status { S_0 = 0; }\nmessage M { Status s = 1; }\n",
                                 kP3 + "enum State { S_0 = 0; }\nmessage M { State s = 1; }\n");
    EXPECT_EQ(only(renamed, "FIELD_WIRE_COMPATIBLE_TYPE").level, ViolationLevel::Error);
}

// Found by tests/fuzz/fuzz_compat (corpus/fuzz_compat/regression-group-to-message): a group and
// a message field of one type differ on the wire; the violation named the same type twice.
TEST(Compatibility, GroupToMessageOfTheSameTypeNamesTheGroup) {
    CompatReport report =
        check(kP2 + "message M {\n  optional group Result = 1 { optional string url = 2; }\n}\n",
              kP2 +
                  "message M {\n  message Result { optional string url = 2; }\n"
                  "  optional Result result = 1;\n}\n");
    const Violation& v = only(report, "FIELD_WIRE_COMPATIBLE_TYPE");
    EXPECT_EQ(v.level, ViolationLevel::Error);
    EXPECT_EQ(v.old_value, "group acme.v1.M.Result");
    EXPECT_EQ(v.new_value, "acme.v1.M.Result");
}

TEST(Compatibility, TypesFromDependenciesAreComparedByFullNameOnly) {
    const ProtoFile dep_v1{"dep/d.proto",
                           "syntax = \"proto3\";\npackage dep;\n"
                           "message Foo { int32 x = 1; int32 y = 2; }\n"
                           "message Bar { int32 x = 1; }\n"};
    const ProtoFile dep_v2{"dep/d.proto",
                           "syntax = \"proto3\";\npackage dep;\n"
                           "message Foo { string x = 1; }\n"
                           "message Bar { int32 x = 1; }\n"};
    const std::string header = kP3 + "import \"dep/d.proto\";\n";
    auto older = image_of({dep_v1, {kPath, header + "message M { dep.Foo f = 1; }\n"}}, {kPath});
    auto same = image_of({dep_v2, {kPath, header + "message M { dep.Foo f = 1; }\n"}}, {kPath});
    auto other = image_of({dep_v2, {kPath, header + "message M { dep.Bar f = 1; }\n"}}, {kPath});
    ASSERT_TRUE(older && same && other);
    ASSERT_EQ(older->files().size(), 1u);
    // The dependency's own changes are not this schema's to report.
    CompatReport unchanged = check_compatibility(*older, *same, CompatMode::Backward);
    EXPECT_TRUE(unchanged.violations.empty()) << rules_of(unchanged);
    CompatReport changed = check_compatibility(*older, *other, CompatMode::Backward);
    const Violation& v = only(changed, "FIELD_WIRE_COMPATIBLE_TYPE");
    EXPECT_EQ(v.old_value, "dep.Foo");
    EXPECT_EQ(v.new_value, "dep.Bar");
}

TEST(Compatibility, OneofMembershipChangesAreErrors) {
    CompatReport into =
        check(kP3 + "message M { int32 a = 1; int32 b = 2; }\n",
              kP3 + "message M {\n  oneof o {\n    int32 a = 1;\n  }\n  int32 b = 2;\n}\n");
    const Violation& v = only(into, "FIELD_SAME_ONEOF");
    EXPECT_EQ(v.level, ViolationLevel::Error);
    EXPECT_EQ(v.element, "acme.v1.M.a");
    EXPECT_EQ(v.line, 5);
    EXPECT_EQ(v.new_value, "o");

    CompatReport swapped =
        check(kP3 + "message M { oneof o { int32 a = 1; } oneof p { int32 b = 2; } }\n",
              kP3 + "message M { oneof o { int32 b = 2; } oneof p { int32 a = 1; } }\n");
    EXPECT_EQ(find_all(swapped, "FIELD_SAME_ONEOF").size(), 2u);

    // Deleting the oneof leaves its fields outside it: an error per field, plus the source-level
    // ONEOF_NO_DELETE.
    CompatReport deleted = check(kP3 + "message M { oneof o { int32 a = 1; string b = 2; } }\n",
                                 kP3 + "message M { int32 a = 1; string b = 2; }\n");
    EXPECT_EQ(find_all(deleted, "FIELD_SAME_ONEOF").size(), 2u);
    EXPECT_EQ(only(deleted, "ONEOF_NO_DELETE").level, ViolationLevel::Info);
    EXPECT_EQ(only(deleted, "ONEOF_NO_DELETE").element, "acme.v1.M.o");

    // proto3 `optional` is a synthetic oneof: dropping it changes presence only.
    CompatReport optional =
        check(kP3 + "message M { optional int32 a = 1; }\n", kP3 + "message M { int32 a = 1; }\n");
    EXPECT_TRUE(find_all(optional, "FIELD_SAME_ONEOF").empty());
    EXPECT_TRUE(find_all(optional, "ONEOF_NO_DELETE").empty());
    EXPECT_EQ(only(optional, "FIELD_SAME_CARDINALITY").level, ViolationLevel::Info);
    EXPECT_TRUE(optional.compatible());
}

TEST(Compatibility, MapKeyAndValueTypesAreCheckedOnTheEntry) {
    CompatReport value = check(kP3 + "message M {\n  map<string, int32> tags = 4;\n}\n",
                               kP3 + "message M {\n\n  map<string, string> tags = 4;\n}\n");
    const Violation& v = only(value, "FIELD_WIRE_COMPATIBLE_TYPE");
    EXPECT_EQ(v.element, "acme.v1.M.TagsEntry.value");
    EXPECT_EQ(v.line, 5);  // entries have no source location: the map field's line
    EXPECT_EQ(v.old_value, "int32");

    CompatReport key = check(kP3 + "message M { map<string, int32> tags = 4; }\n",
                             kP3 + "message M { map<int64, int32> tags = 4; }\n");
    EXPECT_EQ(only(key, "FIELD_WIRE_COMPATIBLE_TYPE").element, "acme.v1.M.TagsEntry.key");

    // Renaming a map renames its entry type: buf reports a type change.
    CompatReport renamed = check(kP3 + "message M { map<string, int32> tags = 4; }\n",
                                 kP3 + "message M { map<string, int32> labels = 4; }\n");
    EXPECT_EQ(only(renamed, "FIELD_WIRE_COMPATIBLE_TYPE").new_value, "acme.v1.M.LabelsEntry");
    EXPECT_EQ(only(renamed, "FIELD_SAME_NAME").level, ViolationLevel::Warning);
}

TEST(Compatibility, MapToRepeatedEntryIsWireCompatibleButNotJson) {
    CompatReport report =
        check(kP3 + "message M { map<string, int32> tags = 1; }\n",
              kP3 +
                  "message M {\n  message TagsEntry { string key = 1; int32 value = 2; }\n"
                  "  repeated TagsEntry tags = 1;\n}\n");
    EXPECT_TRUE(report.compatible()) << rules_of(report);
    const Violation& v = only(report, "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY");
    EXPECT_EQ(v.level, ViolationLevel::Warning);
    EXPECT_EQ(v.old_value, "map");
    EXPECT_EQ(v.new_value, "repeated");
}

TEST(Compatibility, CardinalityAndRequiredFields) {
    CompatReport repeated = check(kP2 + "message M { optional int32 a = 1; }\n",
                                  kP2 + "message M { repeated int32 a = 1; }\n");
    EXPECT_EQ(only(repeated, "FIELD_WIRE_COMPATIBLE_CARDINALITY").level, ViolationLevel::Error);

    CompatReport required = check(kP2 + "message M {\n  optional int32 a = 1;\n}\n",
                                  kP2 + "message M {\n  required int32 a = 1;\n}\n");
    EXPECT_EQ(only(required, "FIELD_WIRE_COMPATIBLE_CARDINALITY").new_value, "required");
    const Violation& added = only(required, "MESSAGE_SAME_REQUIRED_FIELDS");
    EXPECT_EQ(added.level, ViolationLevel::Error);
    EXPECT_EQ(added.line, 4);

    // Removing a required field breaks even with its number and name reserved.
    CompatReport removed =
        check(kP2 + "message M { required int32 a = 1; optional int32 b = 2; }\n",
              kP2 + "message M { reserved 1; reserved \"a\"; optional int32 b = 2; }\n");
    EXPECT_EQ(only(removed, "MESSAGE_SAME_REQUIRED_FIELDS").element, "acme.v1.M.a");
    EXPECT_FALSE(removed.compatible());
}

TEST(Compatibility, PackedChangesAreInfosOnly) {
    CompatReport report = check(kP3 + "message M { repeated int32 a = 1; }\n",
                                kP3 + "message M { repeated int32 a = 1 [packed = false]; }\n");
    EXPECT_TRUE(report.compatible());
    EXPECT_EQ(report.warning_count, 0);
    const Violation& v = only(report, "FIELD_SAME_PACKED");
    EXPECT_EQ(v.level, ViolationLevel::Info);
    EXPECT_EQ(v.old_value, "packed");
    EXPECT_EQ(v.new_value, "expanded");
}

TEST(Compatibility, NamesAndJsonNamesAreWarnings) {
    CompatReport renamed =
        check(kP3 + "message M { int32 foo_bar = 1; }\n", kP3 + "message M { int32 baz = 1; }\n");
    EXPECT_TRUE(renamed.compatible());
    EXPECT_EQ(only(renamed, "FIELD_SAME_NAME").new_value, "baz");
    EXPECT_EQ(only(renamed, "FIELD_SAME_JSON_NAME").old_value, "fooBar");
    EXPECT_EQ(renamed.warning_count, 2);

    CompatReport json = check(kP3 + "message M { int32 foo_bar = 1; }\n",
                              kP3 + "message M { int32 foo_bar = 1 [json_name = \"fb\"]; }\n");
    EXPECT_EQ(only(json, "FIELD_SAME_JSON_NAME").new_value, "fb");
    // An explicit json_name equal to the default changes nothing.
    CompatReport same = check(kP3 + "message M { int32 foo_bar = 1; }\n",
                              kP3 + "message M { int32 foo_bar = 1 [json_name = \"fooBar\"]; }\n");
    EXPECT_TRUE(same.violations.empty()) << rules_of(same);
}

TEST(Compatibility, ExplicitDefaultsMustStay) {
    CompatReport changed = check(kP2 + "message M { optional int32 a = 1 [default = 5]; }\n",
                                 kP2 + "message M { optional int32 a = 1 [default = 6]; }\n");
    const Violation& v = only(changed, "FIELD_SAME_DEFAULT");
    EXPECT_EQ(v.old_value, "5");
    EXPECT_EQ(v.new_value, "6");
    // 1 and true are the same number to buf (and the type change is wire-compatible).
    CompatReport as_bool = check(kP2 + "message M { optional int32 a = 1 [default = 1]; }\n",
                                 kP2 + "message M { optional bool a = 1 [default = true]; }\n");
    EXPECT_TRUE(find_all(as_bool, "FIELD_SAME_DEFAULT").empty()) << rules_of(as_bool);
    // A proto2 enum defaults to its first value: reordering the values changes it.
    CompatReport reordered =
        check(kP2 + "enum E { A = 1; B = 2; }\nmessage M { optional E e = 1; }\n",
              kP2 + "enum E { B = 2; A = 1; }\nmessage M { optional E e = 1; }\n");
    EXPECT_EQ(only(reordered, "FIELD_SAME_DEFAULT").new_value, "E.B");
}

TEST(Compatibility, EnumValues) {
    const std::string before =
        kP3 + "enum Status {\n  S_0 = 0;\n  S_ACTIVE = 1;\n  S_GONE = 2;\n}\n";
    CompatReport deleted = check(before, kP3 + "enum Status {\n  S_0 = 0;\n  S_ACTIVE = 1;\n}\n");
    const Violation& number = only(deleted, "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED");
    EXPECT_EQ(number.level, ViolationLevel::Error);
    EXPECT_EQ(number.element, "acme.v1.Status.S_GONE");
    EXPECT_EQ(number.line, 3);  // the enum in the newer file
    EXPECT_EQ(only(deleted, "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED").level,
              ViolationLevel::Warning);

    CompatReport reserved = check(
        before, kP3 + "enum Status { S_0 = 0; S_ACTIVE = 1; reserved 2; reserved \"S_GONE\"; }\n");
    EXPECT_TRUE(reserved.compatible());
    EXPECT_EQ(reserved.warning_count, 0);
    EXPECT_EQ(only(reserved, "ENUM_VALUE_NO_DELETE").level, ViolationLevel::Info);

    CompatReport renamed =
        check(before, kP3 + "enum Status {\n  S_0 = 0;\n  S_ENABLED = 1;\n  S_GONE = 2;\n}\n");
    const Violation& name = only(renamed, "ENUM_VALUE_SAME_NAME");
    EXPECT_EQ(name.level, ViolationLevel::Warning);
    EXPECT_EQ(name.element, "acme.v1.Status.S_ENABLED");
    EXPECT_EQ(name.line, 5);
    EXPECT_EQ(name.old_value, "S_ACTIVE");
    EXPECT_TRUE(renamed.compatible());
}

TEST(Compatibility, ReservedRangesAndNamesMustBeKept) {
    CompatReport message =
        check(kP3 + "message M {\n  reserved 20 to 25;\n  reserved \"old\";\n}\n",
              kP3 + "message M {\n  reserved 20 to 22;\n}\n");
    auto removed = find_all(message, "RESERVED_MESSAGE_NO_DELETE");
    ASSERT_EQ(removed.size(), 2u);
    for (const Violation* v : removed) {
        EXPECT_EQ(v->level, ViolationLevel::Error);
        EXPECT_EQ(v->element, "acme.v1.M");
        EXPECT_EQ(v->line, 3);
    }
    EXPECT_EQ(removed[0]->old_value == "old" ? removed[1]->new_value : removed[0]->new_value,
              "[23,25]");

    // Ranges may be rewritten as long as every number stays covered.
    CompatReport merged = check(kP3 + "message M { reserved 5 to 6; reserved 7 to 9; }\n",
                                kP3 + "message M { reserved 5 to 9; }\n");
    EXPECT_TRUE(merged.violations.empty()) << rules_of(merged);

    CompatReport to_max = check(kP3 + "message M { reserved 10 to max; }\n",
                                kP3 + "message M { reserved 10 to 100; }\n");
    EXPECT_EQ(only(to_max, "RESERVED_MESSAGE_NO_DELETE").new_value, "[101,max]");

    CompatReport enumeration =
        check(kP3 + "enum E { E_0 = 0; reserved 5 to 10; reserved \"X\"; }\n",
              kP3 + "enum E { E_0 = 0; reserved 5 to 8; }\n");
    EXPECT_EQ(find_all(enumeration, "RESERVED_ENUM_NO_DELETE").size(), 2u);
    EXPECT_FALSE(enumeration.compatible());
}

TEST(Compatibility, ServicesAndStreaming) {
    const std::string messages = "message A { int32 x = 1; }\nmessage B { int32 x = 1; }\n";
    const std::string before = kP3 + messages +
                               "service S {\n  rpc Get(A) returns (A);\n  rpc Watch(A) returns "
                               "(stream A);\n  rpc Put(A) returns (A);\n}\n";
    const std::string after =
        kP3 + messages +
        "service S {\n  rpc Get(stream B) returns (B) {\n    option idempotency_level = "
        "NO_SIDE_EFFECTS;\n  }\n  rpc Watch(A) returns (A);\n}\n";
    CompatReport report = check(before, after);
    for (const char* rule : {"RPC_SAME_REQUEST_TYPE", "RPC_SAME_RESPONSE_TYPE",
                             "RPC_SAME_CLIENT_STREAMING", "RPC_SAME_IDEMPOTENCY_LEVEL"}) {
        const Violation& v = only(report, rule);
        EXPECT_EQ(v.level, ViolationLevel::Error) << rule;
        EXPECT_EQ(v.element, "acme.v1.S.Get") << rule;
        EXPECT_EQ(v.line, 6) << rule;
    }
    EXPECT_EQ(only(report, "RPC_SAME_REQUEST_TYPE").new_value, "acme.v1.B");
    EXPECT_EQ(only(report, "RPC_SAME_CLIENT_STREAMING").new_value, "streaming");
    EXPECT_EQ(only(report, "RPC_SAME_IDEMPOTENCY_LEVEL").new_value, "NO_SIDE_EFFECTS");
    const Violation& server = only(report, "RPC_SAME_SERVER_STREAMING");
    EXPECT_EQ(server.element, "acme.v1.S.Watch");
    EXPECT_EQ(server.old_value, "streaming");
    const Violation& deleted = only(report, "RPC_NO_DELETE");
    EXPECT_EQ(deleted.level, ViolationLevel::Info);
    EXPECT_EQ(deleted.element, "acme.v1.S.Put");

    CompatReport service_gone = check(before, kP3 + messages);
    EXPECT_TRUE(service_gone.compatible());
    EXPECT_EQ(only(service_gone, "SERVICE_NO_DELETE").element, "acme.v1.S");
}

TEST(Compatibility, PackageChangeIsAnErrorOnThePackageLine) {
    CompatReport report =
        check(kP3 + "message M { int32 a = 1; }\n",
              "syntax = \"proto3\";\n\npackage acme.v2;\nmessage M { int32 a = 1; }\n");
    const Violation& v = only(report, "FILE_SAME_PACKAGE");
    EXPECT_EQ(v.level, ViolationLevel::Error);
    EXPECT_EQ(v.line, 3);
    EXPECT_EQ(v.element, kPath);
    EXPECT_EQ(v.old_value, "acme.v1");
    EXPECT_EQ(v.new_value, "acme.v2");
}

TEST(Compatibility, DeletingMessagesAndFilesIsSourceLevelAsInBufWire) {
    CompatReport message = check(
        kP3 + "message M { int32 a = 1; }\nmessage N {\n  message Inner { int32 b = 1; }\n}\n",
        kP3 + "message M { int32 a = 1; }\nmessage N {}\n");
    EXPECT_TRUE(message.compatible());
    const Violation& v = only(message, "MESSAGE_NO_DELETE");
    EXPECT_EQ(v.level, ViolationLevel::Info);
    EXPECT_EQ(v.element, "acme.v1.N.Inner");
    EXPECT_EQ(v.line, 4);  // N, its surviving parent

    auto older = image_of({{kPath, kP3 + "message M { int32 a = 1; }\n"},
                           {"acme/v1/b.proto", kP3 + "message N { int32 a = 1; }\n"}});
    auto newer = image_of({{kPath, kP3 + "message M { int32 a = 1; }\n"}});
    ASSERT_TRUE(older && newer);
    CompatReport file = check_compatibility(*older, *newer, CompatMode::Backward);
    EXPECT_TRUE(file.compatible());
    const Violation& f = only(file, "FILE_NO_DELETE");
    EXPECT_EQ(f.file, "acme/v1/b.proto");
    EXPECT_EQ(f.level, ViolationLevel::Info);
    EXPECT_TRUE(find_all(file, "MESSAGE_NO_DELETE").empty());
}

TEST(Compatibility, SyntaxChangeToProto2LosesJsonFormatSupport) {
    CompatReport report =
        check(kP3 + "enum E { E_0 = 0; }\nmessage M { int32 a = 1; E e = 2; }\n",
              kP2 + "enum E { E_0 = 0; }\nmessage M { optional int32 a = 1; optional E e = 2; }\n");
    EXPECT_TRUE(report.compatible()) << rules_of(report);
    EXPECT_EQ(only(report, "MESSAGE_SAME_JSON_FORMAT").level, ViolationLevel::Warning);
    EXPECT_EQ(only(report, "ENUM_SAME_JSON_FORMAT").level, ViolationLevel::Warning);
    EXPECT_EQ(only(report, "FILE_SAME_SYNTAX").level, ViolationLevel::Info);
    EXPECT_EQ(only(report, "ENUM_SAME_TYPE").new_value, "closed");
}

TEST(Compatibility, FileOptionsAreInfos) {
    CompatReport report =
        check(kP3 + "option go_package = \"a/b\";\nmessage M { int32 a = 1; }\n",
              kP3 +
                  "option go_package = \"a/c\";\noption java_multiple_files = true;\n"
                  "message M { int32 a = 1; }\n");
    EXPECT_TRUE(report.compatible());
    EXPECT_EQ(report.warning_count, 0);
    const Violation& go = only(report, "FILE_SAME_GO_PACKAGE");
    EXPECT_EQ(go.level, ViolationLevel::Info);
    EXPECT_EQ(go.line, 3);
    EXPECT_EQ(go.old_value, "a/b");
    EXPECT_EQ(go.new_value, "a/c");
    // The message names both values (it was once built from strings already moved away).
    EXPECT_EQ(go.message, "File option \"go_package\" changed from \"a/b\" to \"a/c\".");
    EXPECT_EQ(only(report, "FILE_SAME_JAVA_MULTIPLE_FILES").new_value, "true");
}

TEST(Compatibility, ForwardIsBackwardSwappedWithoutTheDeletionRules) {
    // Adding a field: old readers skip it. A plain swap would call it an unreserved deletion.
    const std::string v1 = kP3 + "message M { int32 a = 1; }\n";
    const std::string v2 = kP3 + "message M { int32 a = 1; string b = 2; }\n";
    EXPECT_TRUE(check(v1, v2, CompatMode::Backward).violations.empty());
    EXPECT_TRUE(check(v1, v2, CompatMode::Forward).violations.empty());
    EXPECT_FALSE(check(v2, v1, CompatMode::Backward).compatible());

    // Every other rule is the swapped backward check: a type change old readers cannot read.
    const std::string v3 = kP3 + "message M { int64 a = 1; bytes b = 2; }\n";
    const std::string v4 = kP3 + "message M { int64 a = 1; string b = 2; }\n";
    CompatReport forward = check(v4, v3, CompatMode::Forward);
    CompatReport swapped = check(v3, v4, CompatMode::Backward);
    EXPECT_FALSE(forward.compatible());
    ASSERT_EQ(forward.violations.size(), swapped.violations.size());
    for (size_t i = 0; i < forward.violations.size(); ++i) {
        EXPECT_EQ(forward.violations[i].rule, swapped.violations[i].rule);
        EXPECT_EQ(forward.violations[i].element, swapped.violations[i].element);
        EXPECT_EQ(forward.violations[i].line, swapped.violations[i].line);
    }
    EXPECT_EQ(only(forward, "FIELD_WIRE_COMPATIBLE_TYPE").element, "acme.v1.M.b");

    // A real deletion is forward compatible (old readers see the default), backward it is not.
    EXPECT_TRUE(check(v2, v1, CompatMode::Forward).compatible());
    // Transitive modes check one pair like their base mode.
    CompatReport transitive = check(v4, v3, CompatMode::ForwardTransitive);
    EXPECT_EQ(transitive.violations.size(), forward.violations.size());
}

TEST(Compatibility, FullChecksBothDirectionsOnce) {
    // int32 -> string breaks both ways: reported once.
    CompatReport both = check(kP3 + "message M { int32 a = 1; }\n",
                              kP3 + "message M { string a = 1; }\n", CompatMode::Full);
    EXPECT_EQ(find_all(both, "FIELD_WIRE_COMPATIBLE_TYPE").size(), 1u) << rules_of(both);
    EXPECT_EQ(both.error_count, 1);

    // string -> bytes is fine for readers of the new schema, not for readers of the old one.
    const std::string s = kP3 + "message M { string a = 1; }\n";
    const std::string b = kP3 + "message M { bytes a = 1; }\n";
    EXPECT_TRUE(check(s, b, CompatMode::Backward).compatible());
    EXPECT_FALSE(check(s, b, CompatMode::Forward).compatible());
    CompatReport full = check(s, b, CompatMode::Full);
    EXPECT_FALSE(full.compatible());
    EXPECT_EQ(full.error_count, 1);
    // The JSON warning of the backward direction and the error of the forward one.
    EXPECT_EQ(full.warning_count, 1);
    EXPECT_EQ(check(s, b, CompatMode::FullTransitive).error_count, 1);

    // A field added and another deleted: only the deletion counts (the addition is new to
    // old readers, which skip it).
    CompatReport added_and_deleted = check(kP3 + "message M { int32 a = 1; }\n",
                                           kP3 + "message M { int32 b = 2; }\n", CompatMode::Full);
    auto deletions = find_all(added_and_deleted, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED");
    ASSERT_EQ(deletions.size(), 1u);
    EXPECT_EQ(deletions[0]->element, "acme.v1.M.a");
}

TEST(Compatibility, ViolationsAreSortedByFileThenLine) {
    auto older = image_of(
        {{"b.proto", "syntax = \"proto3\";\nmessage B { int32 a = 1; int32 z = 2; }\n"},
         {"a.proto", "syntax = \"proto3\";\nmessage A {\n int32 a = 1;\n int32 b = 2;\n}\n"}});
    auto newer = image_of(
        {{"b.proto", "syntax = \"proto3\";\nmessage B { string a = 1; }\n"},
         {"a.proto", "syntax = \"proto3\";\nmessage A {\n int32 a = 1;\n string b = 2;\n}\n"}});
    ASSERT_TRUE(older && newer);
    CompatReport report = check_compatibility(*older, *newer, CompatMode::Backward);
    ASSERT_GE(report.violations.size(), 3u);
    for (size_t i = 1; i < report.violations.size(); ++i) {
        const Violation& p = report.violations[i - 1];
        const Violation& c = report.violations[i];
        EXPECT_TRUE(p.file < c.file || (p.file == c.file && p.line <= c.line))
            << p.file << ":" << p.line << " before " << c.file << ":" << c.line;
    }
    EXPECT_EQ(report.violations.front().file, "a.proto");
    EXPECT_EQ(report.error_count + report.warning_count + report.info_count,
              static_cast<int>(report.violations.size()));
}

}  // namespace
}  // namespace spoke
