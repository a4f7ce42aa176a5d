#include "reactor/http_request_parser.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "reactor/percent_encoding.hpp"

namespace spoke {

namespace {

HttpRequestParser* self_of(http_parser* p) {
    return static_cast<HttpRequestParser*>(p->data);
}

HttpMethod to_method(unsigned m) {
    switch (m) {
        case HTTP_GET:
            return HttpMethod::Get;
        case HTTP_HEAD:
            return HttpMethod::Head;
        case HTTP_POST:
            return HttpMethod::Post;
        case HTTP_PUT:
            return HttpMethod::Put;
        case HTTP_DELETE:
            return HttpMethod::Delete;
        case HTTP_PATCH:
            return HttpMethod::Patch;
        case HTTP_OPTIONS:
            return HttpMethod::Options;
        default:
            return HttpMethod::Other;
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool starts_with_ignore_case(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equals_ignore_case(s.substr(0, prefix.size()), prefix);
}

}  // namespace

const http_parser_settings HttpRequestParser::kSettings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &HttpRequestParser::on_message_begin;
    s.on_url = &HttpRequestParser::on_url;
    s.on_header_field = &HttpRequestParser::on_header_field;
    s.on_header_value = &HttpRequestParser::on_header_value;
    s.on_headers_complete = &HttpRequestParser::on_headers_complete;
    s.on_body = &HttpRequestParser::on_body;
    s.on_message_complete = &HttpRequestParser::on_message_complete;
    return s;
}();

HttpRequestParser::HttpRequestParser(HttpParserLimits limits)
    : limits_(limits),
      scanner_({limits.max_head_bytes, limits.max_headers}),
      chunk_scanner_(limits.max_head_bytes) {
    start_message();
}

void HttpRequestParser::start_message() {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    scanner_.reset();
    chunk_scanner_.reset();
    scanned_ahead_ = 0;
    request_ = std::make_unique<HttpRequest>();
    in_value_ = false;
    in_body_ = false;
    head_done_ = false;
    message_done_ = false;
}

std::unique_ptr<HttpRequest> HttpRequestParser::take() {
    std::unique_ptr<HttpRequest> out = std::move(request_);
    start_message();
    return out;
}

void HttpRequestParser::fail(HttpError e) {
    if (!error_) error_ = std::move(e);
}

void HttpRequestParser::fail_from_parser() {
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    switch (err) {
        case HPE_INVALID_METHOD:
            fail({501, "NOT_IMPLEMENTED", "the request method is not supported"});
            return;
        case HPE_INVALID_VERSION:
            fail(HttpError::bad_request("the request line's HTTP version is malformed"));
            return;
        case HPE_HEADER_OVERFLOW:
            fail({431, "HEADERS_TOO_LARGE", "the request head is too large"});
            return;
        case HPE_INVALID_CHUNK_SIZE:
            fail(HttpError::bad_request("a chunk size of the chunked body is malformed"));
            return;
        case HPE_INVALID_CONTENT_LENGTH:
            fail(HttpError::bad_request(
                in_body_ ? "a chunk size of the chunked body is malformed or too large"
                         : "the Content-Length header is not a decimal number"));
            return;
        case HPE_UNEXPECTED_CONTENT_LENGTH:
            fail(HttpError::bad_request(
                "the request has more than one Content-Length header, or both Content-Length "
                "and Transfer-Encoding"));
            return;
        case HPE_INVALID_TRANSFER_ENCODING:
            fail(HttpError::bad_request("the request's Transfer-Encoding does not end in chunked"));
            return;
        case HPE_INVALID_URL:
        case HPE_INVALID_HOST:
        case HPE_INVALID_PORT:
        case HPE_INVALID_PATH:
        case HPE_INVALID_QUERY_STRING:
        case HPE_INVALID_FRAGMENT:
            fail(HttpError::bad_request("the request target is malformed"));
            return;
        case HPE_LF_EXPECTED:
            fail(HttpError::bad_request("a line of the request is not ended by CRLF"));
            return;
        case HPE_INVALID_HEADER_TOKEN:
            fail(HttpError::bad_request("a header contains a character that is not allowed"));
            return;
        default:
            fail(HttpError::bad_request(in_body_ ? "the request body's framing is malformed"
                                                 : "the request line is malformed"));
            return;
    }
}

HttpRequestParser::Step HttpRequestParser::feed(const char* data, size_t n) {
    if (error_) return {Event::Failed, 0};
    if (message_done_) return {Event::Message, 0};
    // Our checks run over the head and a chunked body before http_parser parses them, and
    // http_parser is never given bytes past the end the scanner found.
    const size_t skip = std::min(scanned_ahead_, n);
    size_t limit = n;
    size_t scanned_to = skip;
    const bool chunked_body = head_done_ && request_->chunked;
    if (!head_done_ || chunked_body) {
        const size_t s = chunked_body ? chunk_scanner_.scan(data + skip, n - skip)
                                      : scanner_.scan(data + skip, n - skip);
        const auto& scan_error = chunked_body ? chunk_scanner_.error() : scanner_.error();
        if (scan_error) {
            fail(*scan_error);
            return {Event::Failed, skip + s};
        }
        scanned_to = skip + s;
        if (chunked_body ? chunk_scanner_.complete() : scanner_.head_complete()) limit = scanned_to;
    }
    const size_t used = http_parser_execute(&parser_, &kSettings, data, limit);
    scanned_ahead_ = scanned_to > used ? scanned_to - used : 0;
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    if (error_) return {Event::Failed, used};
    if (err == HPE_PAUSED) {
        http_parser_pause(&parser_, 0);
        return {message_done_ ? Event::Message : Event::Head, used};
    }
    if (err != HPE_OK) {
        fail_from_parser();
        return {Event::Failed, used};
    }
    // A head that ends exactly at `limit` completes on the final LF: http_parser has then paused.
    if (message_done_) return {Event::Message, used};
    return {Event::NeedMore, used};
}

int HttpRequestParser::on_message_begin(http_parser*) {
    return 0;
}

int HttpRequestParser::on_url(http_parser* p, const char* at, size_t n) {
    HttpRequestParser* self = self_of(p);
    std::string& target = self->request_->target;
    if (target.size() + n > self->limits_.max_url_bytes) {
        self->fail({414, "URI_TOO_LONG",
                    "the request target is longer than " +
                        std::to_string(self->limits_.max_url_bytes) +
                        " bytes (SPOKE_MAX_URL_LENGTH)"});
        return -1;
    }
    target.append(at, n);
    return 0;
}

int HttpRequestParser::on_header_field(http_parser* p, const char* at, size_t n) {
    HttpRequestParser* self = self_of(p);
    if (self->head_done_) return 0;  // trailer fields of a chunked body are not kept
    HttpRequest& r = *self->request_;
    if (self->in_value_ || r.header_count() == 0) {
        if (self->in_value_) r.end_value();
        r.begin_header();
        self->in_value_ = false;
    }
    r.append_name({at, n});
    return 0;
}

int HttpRequestParser::on_header_value(http_parser* p, const char* at, size_t n) {
    HttpRequestParser* self = self_of(p);
    if (self->head_done_) return 0;
    HttpRequest& r = *self->request_;
    if (!self->in_value_) {
        r.begin_value();
        self->in_value_ = true;
    }
    r.append_value({at, n});
    return 0;
}

int HttpRequestParser::on_headers_complete(http_parser* p) {
    HttpRequestParser* self = self_of(p);
    HttpRequest& r = *self->request_;
    if (self->in_value_) r.end_value();
    self->in_value_ = false;
    self->head_done_ = true;
    self->check_head();
    if (self->error_) return -1;
    self->in_body_ = true;
    http_parser_pause(p, 1);
    return 0;
}

void HttpRequestParser::check_head() {
    HttpRequest& r = *request_;
    const http_parser& p = parser_;
    r.method = to_method(p.method);
    if (r.method == HttpMethod::Other) {
        fail({501, "NOT_IMPLEMENTED",
              std::string("the method ") + http_method_str(static_cast<http_method>(p.method)) +
                  " is not supported"});
        return;
    }
    if (p.http_major != 1 || p.http_minor > 1) {
        fail({505, "HTTP_VERSION_NOT_SUPPORTED",
              "HTTP/" + std::to_string(p.http_major) + "." + std::to_string(p.http_minor) +
                  " is not supported: use HTTP/1.1 or HTTP/1.0"});
        return;
    }
    r.version_minor = p.http_minor;
    if (!split_target()) return;

    const size_t hosts = r.count_headers("Host");
    if (hosts > 1) return fail(HttpError::bad_request("the request has more than one Host header"));
    if (hosts == 0 && r.version_minor == 1) {
        return fail(HttpError::bad_request("an HTTP/1.1 request must have a Host header"));
    }

    const size_t lengths = r.count_headers("Content-Length");
    const size_t codings = r.count_headers("Transfer-Encoding");
    if (lengths > 1) {
        return fail(HttpError::bad_request("the request has more than one Content-Length header"));
    }
    if (lengths == 1 && codings > 0) {
        return fail(
            HttpError::bad_request("the request has both Content-Length and Transfer-Encoding"));
    }
    if (lengths == 1) {
        const std::string_view value = trim(*r.header("Content-Length"));
        if (!all_digits(value) || value.size() > 18) {
            return fail(HttpError::bad_request("the Content-Length header '" + std::string(value) +
                                               "' is not a decimal number"));
        }
        r.content_length = p.content_length;
    }
    if (codings > 1) {
        return fail(
            HttpError::bad_request("the request has more than one Transfer-Encoding header"));
    }
    if (codings == 1) {
        if (r.version_minor == 0) {
            return fail(HttpError::bad_request("an HTTP/1.0 request cannot use Transfer-Encoding"));
        }
        const std::string_view coding = trim(*r.header("Transfer-Encoding"));
        if (!equals_ignore_case(coding, "chunked")) {
            const size_t comma = coding.rfind(',');
            const bool chunked_last = comma != std::string_view::npos &&
                                      equals_ignore_case(trim(coding.substr(comma + 1)), "chunked");
            if (chunked_last) {
                return fail({501, "NOT_IMPLEMENTED",
                             "the transfer coding '" + std::string(coding) +
                                 "' is not supported: only chunked is"});
            }
            return fail(HttpError::bad_request("the Transfer-Encoding '" + std::string(coding) +
                                               "' does not end in chunked"));
        }
        r.chunked = true;
    }
    if (r.content_length > limits_.max_body_bytes) {
        return fail({413, "PAYLOAD_TOO_LARGE",
                     "the request body of " + std::to_string(r.content_length) +
                         " bytes is larger than the limit of " +
                         std::to_string(limits_.max_body_bytes) + " bytes (SPOKE_MAX_BODY)"});
    }
    if (const auto expect = r.header("Expect")) {
        if (!equals_ignore_case(trim(*expect), "100-continue")) {
            return fail({417, "EXPECTATION_FAILED",
                         "the Expect header '" + std::string(*expect) +
                             "' is not supported: only 100-continue is"});
        }
        r.expect_continue = r.version_minor == 1;
    }
    r.keep_alive = http_should_keep_alive(&p) != 0;
    r.body.reserve(static_cast<size_t>(std::min<uint64_t>(r.content_length, 64 * 1024)));
}

bool HttpRequestParser::split_target() {
    HttpRequest& r = *request_;
    std::string_view target = r.target;
    std::string_view path_and_query;
    if (!target.empty() && target.front() == '/') {
        path_and_query = target;
    } else if (starts_with_ignore_case(target, "http://") ||
               starts_with_ignore_case(target, "https://")) {
        // Absolute form (RFC 9112 §3.2.2): the authority is not ours to check against Host.
        const size_t authority = target.find("//") + 2;
        const size_t path = target.find_first_of("/?", authority);
        if (path == authority) {
            fail(HttpError::bad_request("the request target has no host"));
            return false;
        }
        path_and_query = path == std::string_view::npos ? std::string_view() : target.substr(path);
    } else if (target == "*" && r.method == HttpMethod::Options) {
        path_and_query = "*";
    } else {
        fail(
            HttpError::bad_request("the request target must start with '/' or be an absolute URL"));
        return false;
    }
    if (path_and_query.find('#') != std::string_view::npos) {
        fail(HttpError::bad_request("the request target contains a fragment ('#')"));
        return false;
    }
    const size_t q = path_and_query.find('?');
    std::string_view path = path_and_query.substr(0, q);
    std::string_view query =
        q == std::string_view::npos ? std::string_view() : path_and_query.substr(q + 1);
    if (path.empty()) path = "/";
    if (const auto bad = find_bad_escape(path)) {
        fail(HttpError::bad_request("the request path has an invalid percent-encoding at byte " +
                                    std::to_string(*bad + 1) + " (%00 is not allowed)"));
        return false;
    }
    if (const auto bad = find_bad_escape(query)) {
        fail(HttpError::bad_request("the query string has an invalid percent-encoding at byte " +
                                    std::to_string(*bad + 1) + " (%00 is not allowed)"));
        return false;
    }
    r.path.assign(path);
    r.query.assign(query);
    return true;
}

int HttpRequestParser::on_body(http_parser* p, const char* at, size_t n) {
    HttpRequestParser* self = self_of(p);
    std::string& body = self->request_->body;
    if (body.size() + n > self->limits_.max_body_bytes) {
        self->fail({413, "PAYLOAD_TOO_LARGE",
                    "the chunked request body grew past the limit of " +
                        std::to_string(self->limits_.max_body_bytes) + " bytes (SPOKE_MAX_BODY)"});
        return -1;
    }
    body.append(at, n);
    return 0;
}

int HttpRequestParser::on_message_complete(http_parser* p) {
    HttpRequestParser* self = self_of(p);
    self->message_done_ = true;
    self->in_body_ = false;
    http_parser_pause(p, 1);
    return 0;
}

}  // namespace spoke
