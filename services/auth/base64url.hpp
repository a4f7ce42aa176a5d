#pragma once
// base64url (RFC 4648 §5) without padding, as JOSE writes it: strict decoding for everything
// read from tokens and key files, encoding for building them.

#include <optional>
#include <string>
#include <string_view>

namespace spoke {

// The bytes `text` encodes, or nullopt when it is not canonical unpadded base64url (a character
// outside A-Z a-z 0-9 - _, padding, an impossible length or non-zero trailing bits).
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

}  // namespace spoke
