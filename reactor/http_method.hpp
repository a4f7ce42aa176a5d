#pragma once
// HttpMethod: the request methods Spoke serves; anything else is answered 501 by the HTTP layer.

#include <string_view>

namespace spoke {

enum class HttpMethod { Get, Head, Post, Put, Delete, Patch, Options, Other };
std::string_view method_name(HttpMethod m);

}  // namespace spoke
