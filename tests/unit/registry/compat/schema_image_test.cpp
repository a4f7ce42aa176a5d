#include "registry/compat/schema_image.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include <string>

#include "registry/proto_compiler.hpp"
#include "tests/support/schema_image_support.hpp"

namespace spoke {
namespace {

using testing::run_on_big_stack;

constexpr const char* kPath = "acme/v1/a.proto";
const std::string kP3 = "syntax = \"proto3\";\npackage acme.v1;\n";  // lines 1-2

TEST(SchemaImage, RejectsBadInputAndReportsLines) {
    auto garbage = SchemaImage::from_descriptor_set("\xff\xff\xff", {});
    ASSERT_FALSE(garbage.ok());
    EXPECT_EQ(garbage.error().code, ErrorCode::InvalidProto);

    CompileRequest request;
    request.files = {{kPath, kP3 + "\nmessage M {\n  int32 a = 1;\n}\n"}};
    Result<CompiledSchema> with_info = Error::internal("not run");
    run_on_big_stack([&] { with_info = compile_schema(request, PushLimits{}); });
    ASSERT_TRUE(with_info.ok());
    auto missing = SchemaImage::from_descriptor_set(with_info->descriptor_set, {"other.proto"});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::InvalidProto);

    // Without source info there are no lines.
    auto image = SchemaImage::from_descriptor_set(with_info->descriptor_set, {kPath});
    ASSERT_TRUE(image.ok());
    ASSERT_EQ((*image)->files().size(), 1u);
    const auto* message = (*image)->files()[0]->FindMessageTypeByName("M");
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(SchemaImage::line_of(message), 0);

    request.include_source_info = true;
    run_on_big_stack([&] { with_info = compile_schema(request, PushLimits{}); });
    ASSERT_TRUE(with_info.ok());
    auto lined = SchemaImage::from_descriptor_set(with_info->descriptor_set, {kPath});
    ASSERT_TRUE(lined.ok());
    message = (*lined)->files()[0]->FindMessageTypeByName("M");
    EXPECT_EQ(SchemaImage::line_of(message), 4);
    EXPECT_EQ(SchemaImage::line_of(message->field(0)), 5);

    // Sets without the well-known types still link: they come from the generated pool.
    google::protobuf::FileDescriptorSet set;
    auto* file = set.add_file();
    file->set_name("t.proto");
    file->set_syntax("proto3");
    file->add_dependency("google/protobuf/timestamp.proto");
    auto* m = file->add_message_type();
    m->set_name("T");
    auto* f = m->add_field();
    f->set_name("at");
    f->set_number(1);
    f->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
    f->set_type(google::protobuf::FieldDescriptorProto::TYPE_MESSAGE);
    f->set_type_name(".google.protobuf.Timestamp");
    auto linked = SchemaImage::from_descriptor_set(set.SerializeAsString(), {"t.proto"});
    ASSERT_TRUE(linked.ok()) << linked.error().message;
    EXPECT_EQ((*linked)->files().size(), 1u);
}

}  // namespace
}  // namespace spoke
