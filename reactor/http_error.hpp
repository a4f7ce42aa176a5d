#pragma once
// HttpError: a request the HTTP layer itself refuses, before any handler sees it.

#include <string>
#include <string_view>

namespace spoke {

struct HttpError {
    int status = 400;
    std::string_view code = "BAD_REQUEST";  // the contract's stable code (a literal)
    std::string message;                    // what was wrong, in our words, and where

    static HttpError bad_request(std::string m) { return {400, "BAD_REQUEST", std::move(m)}; }
};

// {"error": message, "code": code} with the message escaped.
std::string http_error_body(std::string_view message, std::string_view code);

}  // namespace spoke
