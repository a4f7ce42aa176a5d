#pragma once
// generation_targets: the files a version's generated code covers.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/model.hpp"

namespace spoke {

// What the version really uses: its own files, then the files of its dependencies that its
// imports reach (directly or through other dependency files), dependencies in the order given.
// `descriptor_set` is the version's compiled FileDescriptorSet, which holds exactly the files the
// imports reach; a dependency file nothing imports is not in it and is left out (a service
// package importing two files of a large common package gets code for those two). Internal when
// the set does not parse or lacks one of the version's own files.
Result<std::vector<std::string>> generation_targets(
    const std::vector<ProtoFile>& own_files, const std::vector<VersionSnapshotPtr>& dependencies,
    std::string_view descriptor_set);

}  // namespace spoke
