#include "registry/codegen/generation_targets.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <unordered_set>

namespace spoke {

Result<std::vector<std::string>> generation_targets(
    const std::vector<ProtoFile>& own_files, const std::vector<VersionSnapshotPtr>& dependencies,
    std::string_view descriptor_set) {
    google::protobuf::FileDescriptorSet set;
    if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
        return Error::internal("the compiled descriptor set does not parse");
    }
    std::unordered_set<std::string> compiled;
    for (const auto& file : set.file()) compiled.insert(file.name());

    std::vector<std::string> targets;
    for (const ProtoFile& f : own_files) {
        // Every file of the version is compiled, imported or not.
        if (!compiled.contains(f.path)) {
            return Error::internal("file " + f.path + " is missing from the compiled set");
        }
        targets.push_back(f.path);
    }
    for (const VersionSnapshotPtr& dependency : dependencies) {
        for (const ProtoFile& f : dependency->files) {
            if (compiled.contains(f.path)) targets.push_back(f.path);
        }
    }
    return targets;
}

}  // namespace spoke
