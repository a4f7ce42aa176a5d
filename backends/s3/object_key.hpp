#pragma once
// Where a file's content lives in the bucket: one object per distinct SHA-256.

#include <string>
#include <string_view>

namespace spoke {

// "proto-files/sha256/{first 2 hex}/{rest}" for a lowercase hex SHA-256 (64 characters, as
// registry/digest.hpp's sha256_hex returns). The two-character fan-out keeps any one listing
// prefix small, and content addressing makes identical files across versions one object.
inline std::string content_object_key(std::string_view sha256_hex) {
    std::string key = "proto-files/sha256/";
    key.append(sha256_hex.substr(0, 2));
    key += '/';
    if (sha256_hex.size() > 2) key.append(sha256_hex.substr(2));
    return key;
}

}  // namespace spoke
