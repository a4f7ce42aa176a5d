// How Confluent schemas become files for the compiler, and what ?format=serialized serves.

#include "registry/confluent/schema_files.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

namespace spoke {
namespace {

TEST(SchemaFilesTest, ASubjectThatIsAProtoPathIsTheRootPath) {
    EXPECT_EQ(schema_root_path("dep/common.proto"), "dep/common.proto");
    EXPECT_EQ(schema_root_path("orders-value"), "schema.proto");
    EXPECT_EQ(schema_root_path("../up.proto"), "schema.proto");
    EXPECT_EQ(schema_root_path("/abs.proto"), "schema.proto");
    EXPECT_EQ(schema_root_path(".proto"), "schema.proto");
}

TEST(SchemaFilesTest, Base64IsStandardAndPadded) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode(std::string("\xfb\xff\xfe", 3)), "+//+");
}

TEST(SchemaFilesTest, TheRootFileIsServedWithoutSourceInfo) {
    google::protobuf::FileDescriptorSet set;
    auto* dep = set.add_file();
    dep->set_name("dep.proto");
    auto* root = set.add_file();
    root->set_name("schema.proto");
    root->add_dependency("dep.proto");
    root->add_message_type()->set_name("Order");
    root->mutable_source_code_info()->add_location()->add_path(4);
    auto served = root_file_descriptor(set.SerializeAsString(), "schema.proto");
    ASSERT_TRUE(served.ok()) << served.error().message;
    google::protobuf::FileDescriptorProto parsed;
    ASSERT_TRUE(parsed.ParseFromString(*served));
    EXPECT_EQ(parsed.name(), "schema.proto");
    EXPECT_EQ(parsed.message_type(0).name(), "Order");
    EXPECT_FALSE(parsed.has_source_code_info());
    EXPECT_FALSE(root_file_descriptor(set.SerializeAsString(), "other.proto").ok());
    EXPECT_FALSE(root_file_descriptor("\xff\xff", "schema.proto").ok());
}

TEST(SchemaFilesTest, NormalizingReprintsAndKeepsDeclarationOrder) {
    google::protobuf::FileDescriptorSet set;
    auto* root = set.add_file();
    root->set_name("schema.proto");
    root->set_syntax("proto3");
    root->add_message_type()->set_name("Zebra");
    auto* apple = root->add_message_type();
    apple->set_name("Apple");
    auto* field = apple->add_field();
    field->set_name("id");
    field->set_number(1);
    field->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
    field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
    auto text = normalized_schema_text(set.SerializeAsString(), "schema.proto");
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_NE(text->find("syntax = \"proto3\";"), std::string::npos) << *text;
    EXPECT_LT(text->find("message Zebra"), text->find("message Apple")) << *text;
    EXPECT_NE(text->find("string id = 1;"), std::string::npos) << *text;
    EXPECT_EQ(*text, *normalized_schema_text(set.SerializeAsString(), "schema.proto"));
    EXPECT_FALSE(normalized_schema_text(set.SerializeAsString(), "other.proto").ok());
}

}  // namespace
}  // namespace spoke
