#pragma once
// SourcePositions: where a file's elements are declared, from its source_code_info, looked up by
// descriptor path (the field numbers and indices of FileDescriptorProto leading to the element).

#include <google/protobuf/descriptor.h>

#include <map>
#include <vector>

namespace spoke {

// 1-based line and column; 0 when unknown.
struct SourcePosition {
    int line = 0;
    int column = 0;
};

class SourcePositions {
  public:
    // Copies `file`'s source info; empty (every lookup unknown) when it was built without any.
    explicit SourcePositions(const google::protobuf::FileDescriptor* file);

    bool empty() const { return positions_.empty(); }
    // Start of the element at `path`, or {0, 0}.
    SourcePosition at(const std::vector<int>& path) const;
    // Start of the element's `field` (e.g. its name) if recorded, else of the element.
    SourcePosition at(std::vector<int> path, int field) const;

  private:
    std::map<std::vector<int>, SourcePosition> positions_;
};

// Descriptor paths of declarations, as source_code_info records them.
std::vector<int> path_of(const google::protobuf::Descriptor* message);
std::vector<int> path_of(const google::protobuf::FieldDescriptor* field);
std::vector<int> path_of(const google::protobuf::EnumDescriptor* enumeration);
std::vector<int> path_of(const google::protobuf::EnumValueDescriptor* value);
std::vector<int> path_of(const google::protobuf::ServiceDescriptor* service);
std::vector<int> path_of(const google::protobuf::MethodDescriptor* method);

}  // namespace spoke
