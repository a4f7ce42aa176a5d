#pragma once
// HttpChunkScanner: our own checks on the raw bytes of a chunked request body (RFC 9112 §7.1),
// run before http_parser decodes them. Built non-strict, http_parser 2.9 takes any two bytes
// for the CRLF after a chunk's data and after a chunk size; a body that two parsers frame
// differently is a smuggling vector, so those are 400 here.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "reactor/http_error.hpp"

namespace spoke {

class HttpChunkScanner {
  public:
    explicit HttpChunkScanner(size_t max_trailer_bytes) : max_trailer_bytes_(max_trailer_bytes) {}

    // Like HttpHeadScanner::scan: stops after the LF that ends the body (complete()) or at the
    // offending byte (error()).
    size_t scan(const char* data, size_t n);
    bool complete() const { return where_ == Where::Done; }
    const std::optional<HttpError>& error() const { return error_; }
    void reset();

  private:
    enum class Where : uint8_t {
        SizeStart,
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        Trailer,
        TrailerLf,
        FinalLf,
        Done,
        Failed
    };
    void fail(std::string message);

    const size_t max_trailer_bytes_;
    Where where_ = Where::SizeStart;
    uint64_t size_ = 0;
    size_t digits_ = 0;
    uint64_t remaining_ = 0;
    size_t trailer_bytes_ = 0;
    size_t chunk_ = 0;  // 1-based index of the chunk being read, for messages
    std::optional<HttpError> error_;
};

}  // namespace spoke
