#pragma once
// How a version snapshot is stored in the shared cache: the record as JSON, then every file's
// bytes, each behind a 4-byte length. Decoding trusts nothing: each file must hash to its
// record's digest, so a corrupt or foreign value is a miss, never wrong content.

#include <optional>
#include <string>
#include <string_view>

#include "registry/model.hpp"

namespace spoke {

std::optional<std::string> encode_snapshot(const VersionSnapshot& snapshot);
std::optional<VersionSnapshot> decode_snapshot(std::string_view bytes);

// The shared-cache key of a version's snapshot, from its version_identity (versioned with the
// encoding).
std::string snapshot_cache_key(std::string_view identity);

}  // namespace spoke
