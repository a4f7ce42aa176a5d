// The Confluent dialect's JSON: request bodies, replies and error codes.

#include "handlers/confluent_json.hpp"

#include <gtest/gtest.h>

#include "services/confluent/confluent_errors.hpp"

namespace spoke {
namespace {

JsonPtr parse(const char* text) {
    json_error_t err;
    JsonPtr j(json_loads(text, 0, &err));
    EXPECT_TRUE(j) << text;
    return j;
}

TEST(ConfluentJsonTest, ASchemaBodyWithReferences) {
    auto in = decode_schema_input(
        parse(
            R"({"schemaType":"PROTOBUF","schema":"x","references":[{"name":"a.proto","subject":"a","version":2}]})")
            .get(),
        true);
    ASSERT_TRUE(in.ok()) << in.error().message;
    EXPECT_EQ(in->schema_type, "PROTOBUF");
    EXPECT_EQ(in->text, "x");
    ASSERT_EQ(in->references.size(), 1u);
    EXPECT_EQ(in->references[0], (SchemaReference{"a.proto", "a", 2}));
    EXPECT_TRUE(in->references_given);
}

TEST(ConfluentJsonTest, NoSchemaTypeIsAvroAndNoReferencesIsSaid) {
    auto in = decode_schema_input(parse(R"({"schema":"x"})").get(), false);
    ASSERT_TRUE(in.ok());
    EXPECT_EQ(in->schema_type, "AVRO");
    EXPECT_FALSE(in->references_given);
}

TEST(ConfluentJsonTest, BadBodiesNameTheField) {
    struct Case {
        const char* body;
        int error_code;
        const char* says;
    };
    for (const Case& c : {
             Case{R"({})", 42201, "\"schema\""},
             Case{R"({"schema":5})", 400, "\"schema\""},
             Case{R"({"schema":"x","schemaType":1})", 400, "schemaType"},
             Case{R"({"schema":"x","references":{}})", 400, "references"},
             Case{R"({"schema":"x","references":[{"name":"a","subject":"a","version":"1"}]})", 400,
                  "references[0].version"},
             Case{R"({"schema":"x","references":[7]})", 400, "references[0]"},
             Case{R"({"schema":"x","id":5})", 42205, "\"id\""},
             Case{R"({"schema":"x","version":5})", 42205, "\"version\""},
         }) {
        auto in = decode_schema_input(parse(c.body).get(), true);
        ASSERT_FALSE(in.ok()) << c.body;
        EXPECT_EQ(confluent_error_code(in.error()), c.error_code) << c.body;
        EXPECT_NE(in.error().message.find(c.says), std::string::npos) << in.error().message;
    }
    // A lookup may carry an id (clients echo what they read).
    EXPECT_TRUE(decode_schema_input(parse(R"({"schema":"x","id":5})").get(), false).ok());
}

TEST(ConfluentJsonTest, ReplyShapes) {
    StoredSchema schema;
    schema.id = 7;
    schema.text = "syntax";
    EXPECT_EQ(dump_json(schema_to_json(schema, schema.text).get()),
              R"({"schemaType":"PROTOBUF","schema":"syntax"})");
    schema.references = {{"a.proto", "a", 1}};
    SubjectSchema found{SubjectVersion{"s", 3, 7, "sha256:x", false}, schema};
    EXPECT_EQ(dump_json(subject_schema_to_json(found, "other").get()),
              R"({"subject":"s","version":3,"id":7,"schemaType":"PROTOBUF","schema":"other",)"
              R"("references":[{"name":"a.proto","subject":"a","version":1}]})");
}

TEST(ConfluentJsonTest, ErrorCodes) {
    EXPECT_EQ(confluent_error_code(confluent_errors::subject_not_found("s")), 40401);
    EXPECT_EQ(confluent_error_code(confluent_errors::invalid_version("x")), 42202);
    EXPECT_EQ(confluent_error_code(Error::not_found("x")), 404);
    EXPECT_EQ(confluent_error_code(Error::internal("x")), 50001);
    EXPECT_EQ(confluent_error_code(Error::unavailable("x")), 50002);
    EXPECT_EQ(confluent_error_code(Error::unauthorized("x")), 401);
    EXPECT_EQ(confluent_error_code(Error{ErrorCode::UnresolvedImport, "x", {}}), 42201);
    EXPECT_EQ(confluent_error_body(40401, "gone"), R"({"error_code":40401,"message":"gone"})");
}

TEST(ConfluentJsonTest, CompileErrorsBecomeInvalidSchemaWithTheirPlace) {
    Error compile{ErrorCode::InvalidProto,
                  "schema.proto:1:9: Expected message name.",
                  {{"schema.proto", 1, 9, "Expected message name."}, {"b.proto", 2, 3, "other"}}};
    Error e = confluent_errors::as_invalid_schema(compile);
    EXPECT_EQ(e.dialect_code, 42201);
    EXPECT_EQ(e.message,
              "invalid schema: schema.proto:1:9: Expected message name.; b.proto:2:3: other");
    Error down = confluent_errors::as_invalid_schema(Error::unavailable("busy"));
    EXPECT_EQ(down.code, ErrorCode::Unavailable);
    EXPECT_EQ(down.dialect_code, 0);
}

}  // namespace
}  // namespace spoke
