#include "registry/well_known_types.hpp"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/api.pb.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/source_context.pb.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/type.pb.h>
#include <google/protobuf/wrappers.pb.h>

namespace spoke {
namespace {

constexpr std::string_view kReservedPrefix = "google/protobuf/";

// Touching one descriptor per well-known file makes sure each is linked and registered in the
// generated pool, even with static linking.
void ensure_well_known_types_linked() {
    static const bool linked = [] {
        namespace pb = google::protobuf;
        const pb::Descriptor* all[] = {
            pb::Any::descriptor(),
            pb::Api::descriptor(),
            pb::FileDescriptorProto::descriptor(),
            pb::Duration::descriptor(),
            pb::Empty::descriptor(),
            pb::FieldMask::descriptor(),
            pb::SourceContext::descriptor(),
            pb::Struct::descriptor(),
            pb::Timestamp::descriptor(),
            pb::Type::descriptor(),
            pb::DoubleValue::descriptor(),
        };
        for (const auto* d : all) {
            if (d == nullptr) return false;
        }
        return true;
    }();
    (void)linked;
}

}  // namespace

bool is_reserved_proto_path(std::string_view path) {
    return path.starts_with(kReservedPrefix);
}

WellKnownTypesDatabase::WellKnownTypesDatabase() {
    ensure_well_known_types_linked();
}

bool WellKnownTypesDatabase::FindFileByName(const std::string& filename,
                                            google::protobuf::FileDescriptorProto* output) {
    // generated_pool() is safe to read from many threads.
    const google::protobuf::FileDescriptor* file =
        is_reserved_proto_path(filename)
            ? google::protobuf::DescriptorPool::generated_pool()->FindFileByName(filename)
            : nullptr;
    if (file == nullptr) {
        misses_.insert(filename);
        return false;
    }
    file->CopyTo(output);
    return true;
}

}  // namespace spoke
