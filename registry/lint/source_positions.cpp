#include "registry/lint/source_positions.hpp"

#include <google/protobuf/descriptor.pb.h>

namespace spoke {
namespace {

namespace pb = google::protobuf;

std::vector<int> appended(std::vector<int> path, int field, int index) {
    path.push_back(field);
    path.push_back(index);
    return path;
}

}  // namespace

SourcePositions::SourcePositions(const pb::FileDescriptor* file) {
    pb::FileDescriptorProto proto;
    file->CopySourceCodeInfoTo(&proto);
    for (const auto& location : proto.source_code_info().location()) {
        if (location.span_size() < 3) continue;
        std::vector<int> path(location.path().begin(), location.path().end());
        // A path can repeat (e.g. every `extend` block is [7]); the first is the declaration.
        positions_.emplace(std::move(path),
                           SourcePosition{location.span(0) + 1, location.span(1) + 1});
    }
}

SourcePosition SourcePositions::at(const std::vector<int>& path) const {
    auto it = positions_.find(path);
    return it == positions_.end() ? SourcePosition{} : it->second;
}

SourcePosition SourcePositions::at(std::vector<int> path, int field) const {
    path.push_back(field);
    SourcePosition position = at(path);
    if (position.line != 0) return position;
    path.pop_back();
    return at(path);
}

std::vector<int> path_of(const pb::Descriptor* message) {
    if (message->containing_type() == nullptr) {
        return {pb::FileDescriptorProto::kMessageTypeFieldNumber, message->index()};
    }
    return appended(path_of(message->containing_type()),
                    pb::DescriptorProto::kNestedTypeFieldNumber, message->index());
}

std::vector<int> path_of(const pb::FieldDescriptor* field) {
    if (!field->is_extension()) {
        return appended(path_of(field->containing_type()), pb::DescriptorProto::kFieldFieldNumber,
                        field->index());
    }
    if (field->extension_scope() == nullptr) {
        return {pb::FileDescriptorProto::kExtensionFieldNumber, field->index()};
    }
    return appended(path_of(field->extension_scope()), pb::DescriptorProto::kExtensionFieldNumber,
                    field->index());
}

std::vector<int> path_of(const pb::EnumDescriptor* enumeration) {
    if (enumeration->containing_type() == nullptr) {
        return {pb::FileDescriptorProto::kEnumTypeFieldNumber, enumeration->index()};
    }
    return appended(path_of(enumeration->containing_type()),
                    pb::DescriptorProto::kEnumTypeFieldNumber, enumeration->index());
}

std::vector<int> path_of(const pb::EnumValueDescriptor* value) {
    return appended(path_of(value->type()), pb::EnumDescriptorProto::kValueFieldNumber,
                    value->index());
}

std::vector<int> path_of(const pb::ServiceDescriptor* service) {
    return {pb::FileDescriptorProto::kServiceFieldNumber, service->index()};
}

std::vector<int> path_of(const pb::MethodDescriptor* method) {
    return appended(path_of(method->service()), pb::ServiceDescriptorProto::kMethodFieldNumber,
                    method->index());
}

}  // namespace spoke
