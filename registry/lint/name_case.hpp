#pragma once
// Naming-convention checks and the suggested spellings the lint messages offer, for ASCII
// protobuf identifiers.

#include <string>
#include <string_view>

namespace spoke {

// "FooBar", "HTTPRequest": starts with an uppercase letter, no underscores (buf's definition:
// uppercase runs such as acronyms are allowed).
bool is_pascal_case(std::string_view name);
// "foo_bar", "foo2", "foo_2": lowercase letters and digits in words joined by single underscores.
bool is_lower_snake_case(std::string_view name);
// "FOO_BAR", "FOO_2": as lower_snake_case with uppercase letters.
bool is_upper_snake_case(std::string_view name);

// Suggestions: "foo_bar" -> "FooBar"; "fooBar", "HTTPServer" -> "foo_bar", "http_server".
std::string to_pascal_case(std::string_view name);
std::string to_lower_snake_case(std::string_view name);
std::string to_upper_snake_case(std::string_view name);

}  // namespace spoke
