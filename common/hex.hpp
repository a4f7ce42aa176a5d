#pragma once
// Lowercase hex of bytes: digests, SigV4 signatures, random ids.

#include <string>
#include <string_view>

namespace spoke {

std::string lower_hex(std::string_view bytes);

}  // namespace spoke
