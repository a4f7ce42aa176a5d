#include "reactor/http_head_scanner.hpp"

#include <cstdio>
#include <string>

namespace spoke {

namespace {

// RFC 9110 §5.6.2 tchar.
bool is_tchar(unsigned char c) {
    if (c >= 'a' && c <= 'z') return true;
    if (c >= 'A' && c <= 'Z') return true;
    if (c >= '0' && c <= '9') return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

std::string byte_text(unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", c);
    return buf;
}

// Leading empty lines before a request line are ignored (RFC 9112 §2.2), a few of them.
constexpr size_t kMaxLeadingEmptyLines = 8;

}  // namespace

void HttpHeadScanner::reset() {
    where_ = Where::LineStart;
    expect_lf_ = false;
    request_line_seen_ = false;
    bytes_ = 0;
    headers_ = 0;
    line_ = 1;
    name_size_ = 0;
    error_.reset();
}

void HttpHeadScanner::fail(int status, std::string_view code, std::string message) {
    where_ = Where::Failed;
    error_ = HttpError{status, code, std::move(message)};
}

std::string HttpHeadScanner::line_text() const {
    return "line " + std::to_string(line_) + " of the request head";
}

bool HttpHeadScanner::end_line() {
    switch (where_) {
        case Where::LineStart:
            if (request_line_seen_) {
                where_ = Where::Done;
                return true;
            }
            if (line_ > kMaxLeadingEmptyLines) {
                fail(400, "BAD_REQUEST", "the request starts with too many empty lines");
                return false;
            }
            break;
        case Where::RequestLine:
            request_line_seen_ = true;
            break;
        case Where::Name:
            fail(400, "BAD_REQUEST", "a header line has no colon (" + line_text() + ")");
            return false;
        default:
            break;
    }
    ++line_;
    where_ = Where::LineStart;
    name_size_ = 0;
    return true;
}

size_t HttpHeadScanner::scan(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (where_ == Where::Done || where_ == Where::Failed) return i;
        const auto c = static_cast<unsigned char>(data[i]);
        if (++bytes_ > limits_.max_head_bytes) {
            fail(431, "HEADERS_TOO_LARGE",
                 "the request head is larger than " + std::to_string(limits_.max_head_bytes) +
                     " bytes (SPOKE_MAX_HEADER_SIZE)");
            return i;
        }
        if (expect_lf_) {
            if (c != '\n') {
                fail(400, "BAD_REQUEST", "a CR is not followed by LF (" + line_text() + ")");
                return i;
            }
            expect_lf_ = false;
            if (!end_line()) return i;
            if (where_ == Where::Done) return i + 1;
            continue;
        }
        if (c == '\r') {
            expect_lf_ = true;
            continue;
        }
        if (c == '\n') {
            fail(400, "BAD_REQUEST", "a line ends in LF without CR (" + line_text() + ")");
            return i;
        }
        switch (where_) {
            case Where::LineStart:
                if (!request_line_seen_) {
                    where_ = Where::RequestLine;
                    if (is_control(c)) {
                        fail(400, "BAD_REQUEST",
                             "the request line contains the control character " + byte_text(c));
                        return i;
                    }
                    break;
                }
                if (c == ' ' || c == '\t') {
                    fail(400, "BAD_REQUEST",
                         "a header line starts with whitespace: obsolete line folding is not "
                         "accepted (" +
                             line_text() + ")");
                    return i;
                }
                if (!is_tchar(c)) {
                    fail(400, "BAD_REQUEST",
                         "a header name contains the character " + byte_text(c) + " (" +
                             line_text() + ")");
                    return i;
                }
                where_ = Where::Name;
                name_[0] = static_cast<char>(c);
                name_size_ = 1;
                break;
            case Where::RequestLine:
                if (is_control(c)) {
                    fail(400, "BAD_REQUEST",
                         "the request line contains the control character " + byte_text(c));
                    return i;
                }
                break;
            case Where::Name:
                if (c == ':') {
                    if (++headers_ > limits_.max_headers) {
                        fail(431, "HEADERS_TOO_LARGE",
                             "the request has more than " + std::to_string(limits_.max_headers) +
                                 " headers (SPOKE_MAX_HEADERS)");
                        return i;
                    }
                    where_ = Where::Value;
                } else if (c == ' ' || c == '\t') {
                    fail(400, "BAD_REQUEST",
                         "whitespace between the header name '" + std::string(name_, name_size_) +
                             "' and its colon (" + line_text() + ")");
                    return i;
                } else if (!is_tchar(c)) {
                    fail(400, "BAD_REQUEST",
                         "a header name contains the character " + byte_text(c) + " (" +
                             line_text() + ")");
                    return i;
                } else if (name_size_ < sizeof name_) {
                    name_[name_size_++] = static_cast<char>(c);
                }
                break;
            case Where::Value:
                if (is_control(c) && c != '\t') {
                    fail(400, "BAD_REQUEST",
                         "the value of header '" + std::string(name_, name_size_) +
                             "' contains the control character " + byte_text(c) + " (" +
                             line_text() + ")");
                    return i;
                }
                break;
            default:
                return i;
        }
    }
    return n;
}

}  // namespace spoke
