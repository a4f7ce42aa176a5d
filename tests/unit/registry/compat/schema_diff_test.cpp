#include "registry/compat/schema_diff.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "registry/compat/schema_image.hpp"
#include "registry/proto_compiler.hpp"
#include "tests/support/schema_image_support.hpp"

namespace spoke {
namespace {

using testing::image_of;

constexpr const char* kPath = "acme/v1/a.proto";
const std::string kP3 = "syntax = \"proto3\";\npackage acme.v1;\n";
const std::string kP2 = "syntax = \"proto2\";\npackage acme.v1;\n";

std::vector<SchemaChange> diff(const std::vector<ProtoFile>& from,
                               const std::vector<ProtoFile>& to) {
    auto a = image_of(from);
    auto b = image_of(to);
    if (!a || !b) return {};
    return diff_schemas(*a, *b);
}

std::vector<SchemaChange> diff(const std::string& from, const std::string& to) {
    return diff(std::vector<ProtoFile>{{kPath, from}}, std::vector<ProtoFile>{{kPath, to}});
}

std::string listing(const std::vector<SchemaChange>& changes) {
    std::string out;
    for (const auto& c : changes) out += c.type + "(" + c.element + "," + c.severity + ") ";
    return out;
}

// The only change of `type` on `element`; fails the test when there is none or several.
const SchemaChange& only(const std::vector<SchemaChange>& changes, const std::string& type,
                         const std::string& element) {
    static const SchemaChange kNone{"<none>", "", "", "", "", "", ""};
    const SchemaChange* found = nullptr;
    int count = 0;
    for (const auto& c : changes) {
        if (c.type == type && c.element == element) {
            found = &c;
            ++count;
        }
    }
    EXPECT_EQ(count, 1) << type << " on " << element << " in " << listing(changes);
    return found != nullptr ? *found : kNone;
}

TEST(SchemaDiff, IdenticalSchemasHaveNoChanges) {
    const std::string text = kP3 +
                             "message M { int32 a = 1; map<string, M> m = 2; }\n"
                             "enum E { E_0 = 0; }\nservice S { rpc A(M) returns (M); }\n";
    EXPECT_TRUE(diff(text, text).empty());
}

TEST(SchemaDiff, AdditionsAreNonBreaking) {
    auto changes = diff(kP3 +
                            "message M { int32 a = 1; }\nenum E { E_0 = 0; }\n"
                            "service S { rpc A(M) returns (M); }\n",
                        kP3 +
                            "message M {\n  int32 a = 1;\n  string b = 2;\n"
                            "  message Inner { int32 x = 1; }\n  oneof o { int32 c = 3; }\n}\n"
                            "enum E { E_0 = 0; E_1 = 1; }\nenum F { F_0 = 0; }\n"
                            "service S { rpc A(M) returns (M); rpc B(M) returns (M); }\n"
                            "service T { rpc A(M) returns (M); }\n");
    const SchemaChange& field = only(changes, "FIELD_ADDED", "acme.v1.M.b");
    EXPECT_EQ(field.severity, "non_breaking");
    EXPECT_EQ(field.new_value, "string");
    EXPECT_EQ(field.file, kPath);
    only(changes, "FIELD_ADDED", "acme.v1.M.c");
    only(changes, "MESSAGE_ADDED", "acme.v1.M.Inner");
    only(changes, "ONEOF_ADDED", "acme.v1.M.o");
    EXPECT_EQ(only(changes, "ENUM_VALUE_ADDED", "acme.v1.E.E_1").new_value, "E_1 = 1");
    only(changes, "ENUM_ADDED", "acme.v1.F");
    only(changes, "METHOD_ADDED", "acme.v1.S.B");
    only(changes, "SERVICE_ADDED", "acme.v1.T");
    for (const auto& c : changes)
        EXPECT_EQ(c.severity, "non_breaking") << c.type << " " << c.element;
}

TEST(SchemaDiff, RemovedFieldSeverityFollowsReservations) {
    const std::string before = kP3 + "message M { int32 a = 1; string email = 2; }\n";
    auto bare = diff(before, kP3 + "message M { int32 a = 1; }\n");
    const SchemaChange& removed = only(bare, "FIELD_REMOVED", "acme.v1.M.email");
    EXPECT_EQ(removed.severity, "breaking");
    EXPECT_EQ(removed.old_value, "string");
    EXPECT_EQ(bare.size(), 1u) << listing(bare);

    auto number_only = diff(before, kP3 + "message M { int32 a = 1; reserved 2; }\n");
    EXPECT_EQ(only(number_only, "FIELD_REMOVED", "acme.v1.M.email").severity, "warning");
    EXPECT_EQ(only(number_only, "RESERVED_ADDED", "acme.v1.M").severity, "non_breaking");

    auto both = diff(before, kP3 + "message M { int32 a = 1; reserved 2; reserved \"email\"; }\n");
    // Still an info (source-level) finding: generated code loses the accessor.
    EXPECT_EQ(only(both, "FIELD_REMOVED", "acme.v1.M.email").severity, "warning");
}

TEST(SchemaDiff, FieldChangesCarryTheirRuleSeverity) {
    auto changes = diff(kP3 +
                            "message M {\n  int32 a = 1;\n  int32 b = 2;\n  int32 c = 3;\n"
                            "  int32 foo_bar = 4;\n  repeated int32 r = 5;\n"
                            "  oneof o { int32 d = 6; }\n}\n",
                        kP3 +
                            "message M {\n  string a = 1;\n  int64 b = 2;\n  uint32 c = 3;\n"
                            "  int32 baz = 4;\n  repeated int32 r = 5 [packed = false];\n"
                            "  int32 d = 6;\n}\n");
    const SchemaChange& a = only(changes, "FIELD_TYPE_CHANGED", "acme.v1.M.a");
    EXPECT_EQ(a.severity, "breaking");
    EXPECT_EQ(a.old_value, "int32");
    EXPECT_EQ(a.new_value, "string");
    EXPECT_EQ(only(changes, "FIELD_TYPE_CHANGED", "acme.v1.M.b").severity, "warning");
    EXPECT_EQ(only(changes, "FIELD_TYPE_CHANGED", "acme.v1.M.c").severity, "warning");
    const SchemaChange& renamed = only(changes, "FIELD_NAME_CHANGED", "acme.v1.M.baz");
    EXPECT_EQ(renamed.severity, "warning");
    EXPECT_EQ(renamed.old_value, "foo_bar");
    EXPECT_EQ(only(changes, "FIELD_JSON_NAME_CHANGED", "acme.v1.M.baz").old_value, "fooBar");
    EXPECT_EQ(only(changes, "FIELD_PACKED_CHANGED", "acme.v1.M.r").severity, "warning");
    const SchemaChange& oneof = only(changes, "FIELD_ONEOF_CHANGED", "acme.v1.M.d");
    EXPECT_EQ(oneof.severity, "breaking");
    EXPECT_EQ(oneof.old_value, "o");
    EXPECT_EQ(only(changes, "ONEOF_REMOVED", "acme.v1.M.o").severity, "warning");
}

TEST(SchemaDiff, MapsAreShownAsMapTypes) {
    auto value = diff(kP3 + "message M { map<string, int32> tags = 1; }\n",
                      kP3 + "message M { map<string, string> tags = 1; }\n");
    const SchemaChange& v = only(value, "FIELD_TYPE_CHANGED", "acme.v1.M.tags");
    EXPECT_EQ(v.old_value, "map<string, int32>");
    EXPECT_EQ(v.new_value, "map<string, string>");
    // The violation sits on the entry's value field; the change on the map takes it.
    EXPECT_EQ(v.severity, "breaking");
    EXPECT_EQ(value.size(), 1u) << listing(value);

    auto widened = diff(kP3 + "message M { map<string, int32> tags = 1; }\n",
                        kP3 + "message M { map<string, int64> tags = 1; }\n");
    EXPECT_EQ(only(widened, "FIELD_TYPE_CHANGED", "acme.v1.M.tags").severity, "warning");

    auto to_repeated =
        diff(kP3 + "message M { map<string, int32> tags = 1; }\n",
             kP3 +
                 "message M {\n  message TagsEntry { string key = 1; int32 value = 2; }\n"
                 "  repeated TagsEntry tags = 1;\n}\n");
    const SchemaChange& label = only(to_repeated, "FIELD_LABEL_CHANGED", "acme.v1.M.tags");
    EXPECT_EQ(label.old_value, "map");
    EXPECT_EQ(label.new_value, "repeated");
    EXPECT_EQ(label.severity, "warning");
    EXPECT_EQ(only(to_repeated, "FIELD_TYPE_CHANGED", "acme.v1.M.tags").new_value,
              "acme.v1.M.TagsEntry");
}

// Found by tests/fuzz/fuzz_compat (corpus/fuzz_compat/regression-map-rename): renaming a map
// renames its entry type, which BACKWARD rejects (FIELD_WIRE_COMPATIBLE_TYPE, as buf does); the
// diff showed only a rename, as a warning.
TEST(SchemaDiff, MapRenameCarriesTheEntryTypeChange) {
    auto changes = diff(kP3 + "message M { map<string, int32> tags = 1; }\n",
                        kP3 + "message M { map<string, int32> labels = 1; }\n");
    const SchemaChange& renamed = only(changes, "FIELD_NAME_CHANGED", "acme.v1.M.labels");
    EXPECT_EQ(renamed.severity, "breaking");
    EXPECT_EQ(renamed.old_value, "tags");
    EXPECT_EQ(only(changes, "FIELD_JSON_NAME_CHANGED", "acme.v1.M.labels").severity, "warning");
    // A plain field's rename stays a warning.
    auto plain =
        diff(kP3 + "message M { int32 tags = 1; }\n", kP3 + "message M { int32 labels = 1; }\n");
    EXPECT_EQ(only(plain, "FIELD_NAME_CHANGED", "acme.v1.M.labels").severity, "warning");
}

TEST(SchemaDiff, RequiredFieldsAndDefaults) {
    auto changes = diff(kP2 + "message M { optional int32 a = 1 [default = 5]; }\n",
                        kP2 +
                            "message M { optional int32 a = 1 [default = 6]; "
                            "required int32 b = 2; }\n");
    const SchemaChange& d = only(changes, "FIELD_DEFAULT_CHANGED", "acme.v1.M.a");
    EXPECT_EQ(d.severity, "breaking");
    EXPECT_EQ(d.old_value, "5");
    EXPECT_EQ(d.new_value, "6");
    EXPECT_EQ(only(changes, "FIELD_ADDED", "acme.v1.M.b").severity, "breaking");

    auto label = diff(kP2 + "message M { optional int32 a = 1; }\n",
                      kP2 + "message M { repeated int32 a = 1; }\n");
    EXPECT_EQ(only(label, "FIELD_LABEL_CHANGED", "acme.v1.M.a").severity, "breaking");
}

// Found by tests/fuzz/fuzz_compat (corpus/fuzz_compat/regression-implicit-enum-default): a proto2
// enum field defaults to its enum's first value, so reordering or renumbering the values changes
// the default without any default being written. The checker reports FIELD_SAME_DEFAULT (an
// error); the diff listed no change at all.
TEST(SchemaDiff, ImplicitEnumDefaultChanges) {
    auto reordered = diff(kP2 + "enum E { A = 1; B = 2; }\nmessage M { optional E e = 1; }\n",
                          kP2 + "enum E { B = 2; A = 1; }\nmessage M { optional E e = 1; }\n");
    const SchemaChange& d = only(reordered, "FIELD_DEFAULT_CHANGED", "acme.v1.M.e");
    EXPECT_EQ(d.severity, "breaking");
    EXPECT_EQ(d.old_value, "A = 1");
    EXPECT_EQ(d.new_value, "B = 2");

    // The first value keeps its name but not its number (and the default named explicitly).
    auto renumbered =
        diff(kP2 + "enum E { A = 1; B = 2; }\nmessage M { optional E e = 1 [default = A]; }\n",
             kP2 + "enum E { A = 3; B = 2; }\nmessage M { optional E e = 1 [default = A]; }\n");
    const SchemaChange& r = only(renumbered, "FIELD_DEFAULT_CHANGED", "acme.v1.M.e");
    EXPECT_EQ(r.severity, "breaking");
    EXPECT_EQ(r.old_value, "A = 1");
    EXPECT_EQ(r.new_value, "A = 3");

    // Reordering values after the first one leaves the default alone.
    auto later = diff(kP2 + "enum E { A = 1; B = 2; C = 3; }\nmessage M { optional E e = 1; }\n",
                      kP2 + "enum E { A = 1; C = 3; B = 2; }\nmessage M { optional E e = 1; }\n");
    EXPECT_TRUE(later.empty()) << listing(later);
}

// Found by tests/fuzz/fuzz_compat (corpus/fuzz_compat/regression-group-to-message, the case of
// tests/compat/corpus/084): a group that becomes a message field of the same type breaks the
// wire; the diff showed the type as unchanged, so it listed nothing breaking.
TEST(SchemaDiff, GroupToMessageIsABreakingTypeChange) {
    auto changes =
        diff(kP2 + "message M {\n  repeated group Result = 1 { optional string url = 2; }\n}\n",
             kP2 +
                 "message M {\n  message Result { optional string url = 2; }\n"
                 "  repeated Result result = 1;\n}\n");
    const SchemaChange& type = only(changes, "FIELD_TYPE_CHANGED", "acme.v1.M.result");
    EXPECT_EQ(type.severity, "breaking");
    EXPECT_EQ(type.old_value, "group acme.v1.M.Result");
    EXPECT_EQ(type.new_value, "acme.v1.M.Result");
}

TEST(SchemaDiff, EnumsAndReservations) {
    auto changes = diff(
        kP3 +
            "enum Status {\n  S_0 = 0;\n  S_ACTIVE = 1;\n  S_GONE = 2;\n  reserved 10 to 12;\n}\n"
            "enum Old { O_0 = 0; }\n",
        kP3 + "enum Status {\n  S_0 = 0;\n  S_ENABLED = 1;\n  reserved 10;\n}\n");
    const SchemaChange& renamed =
        only(changes, "ENUM_VALUE_NAME_CHANGED", "acme.v1.Status.S_ENABLED");
    EXPECT_EQ(renamed.severity, "warning");
    EXPECT_EQ(renamed.old_value, "S_ACTIVE");
    EXPECT_EQ(only(changes, "ENUM_VALUE_REMOVED", "acme.v1.Status.S_GONE").severity, "breaking");
    EXPECT_EQ(only(changes, "ENUM_REMOVED", "acme.v1.Old").severity, "warning");
    const SchemaChange& shrunk = only(changes, "RESERVED_REMOVED", "acme.v1.Status");
    EXPECT_EQ(shrunk.old_value, "10 to 12");
    EXPECT_EQ(shrunk.severity, "breaking");
    EXPECT_EQ(only(changes, "RESERVED_ADDED", "acme.v1.Status").new_value, "10");

    // Rewriting reservations without losing a number is not breaking.
    auto merged = diff(kP3 + "message M { reserved 5 to 6; reserved 7 to 9; }\n",
                       kP3 + "message M { reserved 5 to 9; }\n");
    for (const auto& c : merged) EXPECT_EQ(c.severity, "non_breaking") << listing(merged);
    EXPECT_EQ(merged.size(), 3u) << listing(merged);
}

TEST(SchemaDiff, ServicesAndMethods) {
    const std::string messages = "message A { int32 x = 1; }\nmessage B { int32 x = 1; }\n";
    auto changes = diff(kP3 + messages +
                            "service S {\n  rpc Get(A) returns (A);\n"
                            "  rpc Put(A) returns (A);\n}\nservice Old { rpc X(A) returns (A); }\n",
                        kP3 + messages + "service S {\n  rpc Get(A) returns (stream B);\n}\n");
    const SchemaChange& response = only(changes, "METHOD_RESPONSE_TYPE_CHANGED", "acme.v1.S.Get");
    EXPECT_EQ(response.severity, "breaking");
    EXPECT_EQ(response.new_value, "acme.v1.B");
    EXPECT_EQ(only(changes, "METHOD_SERVER_STREAMING_CHANGED", "acme.v1.S.Get").new_value,
              "streaming");
    EXPECT_EQ(only(changes, "METHOD_REMOVED", "acme.v1.S.Put").severity, "warning");
    EXPECT_EQ(only(changes, "SERVICE_REMOVED", "acme.v1.Old").severity, "warning");
}

TEST(SchemaDiff, FilesPackagesAndMessages) {
    auto changes = diff(
        std::vector<ProtoFile>{
            {kPath, kP3 + "option go_package = \"x\";\nmessage M { int32 a = 1; }\n"
                          "message Gone { int32 a = 1; }\n"},
            {"acme/v1/b.proto", kP3 + "message N { int32 a = 1; }\n"}},
        std::vector<ProtoFile>{{kPath,
                                "syntax = \"proto3\";\npackage acme.v2;\n"
                                "option go_package = \"y\";\nmessage M { int32 a = 1; }\n"},
                               {"acme/v1/c.proto", kP3 + "message N { int32 a = 1; }\n"}});
    EXPECT_EQ(only(changes, "PACKAGE_CHANGED", kPath).severity, "breaking");
    const SchemaChange& option = only(changes, "FILE_OPTION_CHANGED", kPath);
    EXPECT_EQ(option.severity, "warning");
    EXPECT_EQ(option.new_value, "y");
    EXPECT_EQ(only(changes, "FILE_REMOVED", "acme/v1/b.proto").severity, "warning");
    EXPECT_EQ(only(changes, "FILE_ADDED", "acme/v1/c.proto").severity, "non_breaking");
    const SchemaChange& moved = only(changes, "MESSAGE_MOVED", "acme.v1.N");
    EXPECT_EQ(moved.new_value, "acme/v1/c.proto");
    EXPECT_EQ(moved.file, "acme/v1/c.proto");
    // The package change renames M: to a reader, acme.v1.M is gone and acme.v2.M is new.
    only(changes, "MESSAGE_REMOVED", "acme.v1.M");
    only(changes, "MESSAGE_ADDED", "acme.v2.M");
    EXPECT_EQ(only(changes, "MESSAGE_REMOVED", "acme.v1.Gone").file, kPath);

    for (size_t i = 1; i < changes.size(); ++i) {
        const SchemaChange& p = changes[i - 1];
        const SchemaChange& c = changes[i];
        EXPECT_LE(std::tie(p.file, p.element, p.type), std::tie(c.file, c.element, c.type))
            << listing(changes);
        EXPECT_FALSE(c.description.empty());
    }
}

}  // namespace
}  // namespace spoke
