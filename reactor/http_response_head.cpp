#include "reactor/http_response_head.hpp"

#include <charconv>
#include <ctime>

#include "reactor/http_error.hpp"
#include "reactor/log.hpp"

namespace spoke {

namespace {

// The Date header's value for the current second, cached per thread.
std::string_view http_date() {
    thread_local time_t cached_second = 0;
    thread_local char cached[40];
    thread_local size_t cached_size = 0;
    timespec ts{};
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != cached_second) {
        cached_second = ts.tv_sec;
        tm utc{};
        gmtime_r(&cached_second, &utc);
        cached_size = strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    }
    return {cached, cached_size};
}

void append_number(std::string& out, uint64_t n) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr);
}

void append_clean(std::string& out, std::string_view s) {
    for (char c : s) {
        if (c != '\r' && c != '\n') out.push_back(c);
    }
}

}  // namespace

const char* reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 417:
            return "Expectation Failed";
        case 422:
            return "Unprocessable Content";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Status";
    }
}

void append_status_and_framing(std::string& out, int status, size_t content_length) {
    out.append("HTTP/1.1 ");
    append_number(out, static_cast<uint64_t>(status));
    out.push_back(' ');
    out.append(reason_phrase(status));
    out.append("\r\nDate: ");
    out.append(http_date());
    out.append("\r\n");
    // 204 and 304 carry no body and no length of one (RFC 9110 §8.6).
    if (status == 204 || status == 304) return;
    out.append("Content-Length: ");
    append_number(out, content_length);
    out.append("\r\n");
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
    append_clean(out, name);
    out.append(": ");
    append_clean(out, value);
    out.append("\r\n");
}

std::string http_error_body(std::string_view message, std::string_view code) {
    std::string out = "{\"error\":";
    append_json_string(out, message);
    out.append(",\"code\":");
    append_json_string(out, code);
    out.push_back('}');
    return out;
}

}  // namespace spoke
