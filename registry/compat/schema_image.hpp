#pragma once
// SchemaImage: one version's schema as the compatibility checker and the differ see it: every
// file of a compiled FileDescriptorSet linked into a DescriptorPool (imports and well-known types
// included), and which of those files the version itself owns.

#include <google/protobuf/descriptor.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace spoke {

class SchemaImage {
  public:
    // `descriptor_set`: a serialized FileDescriptorSet with every file after its imports (what
    // compile_schema produces; with source info, violations carry line numbers). `own_files`:
    // the paths of the version's own files (the rest are dependencies and are not compared).
    // InvalidProto if the set does not link.
    static Result<std::unique_ptr<SchemaImage>> from_descriptor_set(
        std::string_view descriptor_set, std::vector<std::string> own_files);

    const google::protobuf::DescriptorPool& pool() const { return *pool_; }
    // The version's own files, in path order (each linked in pool()).
    const std::vector<const google::protobuf::FileDescriptor*>& files() const { return files_; }
    // 1-based line of an element's declaration, or 0 without source info.
    static int line_of(const google::protobuf::Descriptor* d);
    static int line_of(const google::protobuf::FieldDescriptor* d);
    static int line_of(const google::protobuf::EnumDescriptor* d);
    static int line_of(const google::protobuf::EnumValueDescriptor* d);
    static int line_of(const google::protobuf::ServiceDescriptor* d);
    static int line_of(const google::protobuf::MethodDescriptor* d);
    static int line_of(const google::protobuf::OneofDescriptor* d);

  private:
    SchemaImage() = default;
    std::unique_ptr<google::protobuf::DescriptorPool> pool_;
    std::vector<const google::protobuf::FileDescriptor*> files_;
};

}  // namespace spoke
