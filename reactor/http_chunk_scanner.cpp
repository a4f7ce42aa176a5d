#include "reactor/http_chunk_scanner.hpp"

#include <algorithm>
#include <string>

namespace spoke {

namespace {
int hex_digit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
bool is_control(unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7f;
}
// 15 hex digits already exceed any body limit; more can only be an attack on the arithmetic.
constexpr size_t kMaxSizeDigits = 15;
}  // namespace

void HttpChunkScanner::reset() {
    where_ = Where::SizeStart;
    size_ = 0;
    digits_ = 0;
    remaining_ = 0;
    trailer_bytes_ = 0;
    chunk_ = 1;
    error_.reset();
}

void HttpChunkScanner::fail(std::string message) {
    where_ = Where::Failed;
    error_ = HttpError::bad_request(std::move(message));
}

size_t HttpChunkScanner::scan(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (where_ == Where::Done || where_ == Where::Failed) return i;
        const auto c = static_cast<unsigned char>(data[i]);
        switch (where_) {
            case Where::SizeStart:
            case Where::Size: {
                const int d = hex_digit(c);
                if (d >= 0) {
                    if (++digits_ > kMaxSizeDigits) {
                        fail("the size of chunk " + std::to_string(chunk_) +
                             " of the chunked body is too large");
                        return i;
                    }
                    size_ = size_ * 16 + static_cast<uint64_t>(d);
                    where_ = Where::Size;
                    break;
                }
                if (where_ == Where::Size && (c == ';' || c == ' ' || c == '\t')) {
                    where_ = Where::Extension;
                    break;
                }
                if (where_ == Where::Size && c == '\r') {
                    where_ = Where::SizeLf;
                    break;
                }
                fail("the size of chunk " + std::to_string(chunk_) +
                     " of the chunked body is not a hexadecimal number");
                return i;
            }
            case Where::Extension:
                if (c == '\r') {
                    where_ = Where::SizeLf;
                } else if (is_control(c)) {
                    fail("a chunk extension of the chunked body contains a control character");
                    return i;
                }
                break;
            case Where::SizeLf:
                if (c != '\n') {
                    fail("the size line of chunk " + std::to_string(chunk_) +
                         " of the chunked body does not end in CRLF");
                    return i;
                }
                if (size_ == 0) {
                    where_ = Where::TrailerStart;
                } else {
                    remaining_ = size_;
                    where_ = Where::Data;
                }
                break;
            case Where::Data: {
                // Skip the chunk's bytes at once: they are the handler's, not ours to check.
                const uint64_t take = std::min<uint64_t>(remaining_, n - i);
                remaining_ -= take;
                i += static_cast<size_t>(take) - 1;
                if (remaining_ == 0) where_ = Where::DataCr;
                break;
            }
            case Where::DataCr:
                if (c != '\r') {
                    fail("chunk " + std::to_string(chunk_) +
                         " of the chunked body is longer than its size or not followed by CRLF");
                    return i;
                }
                where_ = Where::DataLf;
                break;
            case Where::DataLf:
                if (c != '\n') {
                    fail("chunk " + std::to_string(chunk_) +
                         " of the chunked body is not followed by CRLF");
                    return i;
                }
                ++chunk_;
                size_ = 0;
                digits_ = 0;
                where_ = Where::SizeStart;
                break;
            case Where::TrailerStart:
            case Where::Trailer:
                if (++trailer_bytes_ > max_trailer_bytes_) {
                    fail("the trailer of the chunked body is too large");
                    return i;
                }
                if (c == '\r') {
                    where_ = where_ == Where::TrailerStart ? Where::FinalLf : Where::TrailerLf;
                } else if (is_control(c) ||
                           (where_ == Where::TrailerStart && (c == ' ' || c == '\t'))) {
                    fail("a trailer line of the chunked body is malformed");
                    return i;
                } else {
                    where_ = Where::Trailer;
                }
                break;
            case Where::TrailerLf:
                if (c != '\n') {
                    fail("a trailer line of the chunked body does not end in CRLF");
                    return i;
                }
                where_ = Where::TrailerStart;
                break;
            case Where::FinalLf:
                if (c != '\n') {
                    fail("the chunked body does not end in CRLF");
                    return i;
                }
                where_ = Where::Done;
                return i + 1;
            default:
                return i;
        }
    }
    return n;
}

}  // namespace spoke
