#pragma once
// HttpHeadScanner: our own checks on the raw bytes of a request head, run before http_parser
// sees them. http_parser 2.9 (built non-strict by Debian) accepts bare LF and CR line ends,
// obsolete line folding and whitespace before a header's colon; RFC 9112 makes each of these a
// 400, and each is a way to make two parsers disagree about where a request ends.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "reactor/http_error.hpp"

namespace spoke {

class HttpHeadScanner {
  public:
    struct Limits {
        size_t max_head_bytes = 32 * 1024;  // request line + header lines
        size_t max_headers = 100;
    };
    explicit HttpHeadScanner(Limits limits) : limits_(limits) {}

    // Scans up to `n` bytes of the head. Returns how many were scanned: all of them, or up to and
    // including the LF that ends the head (then head_complete()), or up to the offending byte
    // (then error() is set). Call again with the bytes that follow.
    size_t scan(const char* data, size_t n);
    bool head_complete() const { return where_ == Where::Done; }
    const std::optional<HttpError>& error() const { return error_; }
    // Bytes of this head seen so far, leading empty lines included.
    size_t bytes() const { return bytes_; }
    void reset();

  private:
    enum class Where : uint8_t { LineStart, RequestLine, Name, Value, Done, Failed };
    bool end_line();
    void fail(int status, std::string_view code, std::string message);
    std::string line_text() const;

    Limits limits_;
    Where where_ = Where::LineStart;
    bool expect_lf_ = false;
    bool request_line_seen_ = false;
    size_t bytes_ = 0;
    size_t headers_ = 0;
    size_t line_ = 1;  // 1-based line of the head, for messages
    // The current header's name, for messages (truncated).
    char name_[48] = {};
    size_t name_size_ = 0;
    std::optional<HttpError> error_;
};

}  // namespace spoke
