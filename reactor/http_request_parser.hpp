#pragma once
// HttpRequestParser: turns the bytes of one connection into HttpRequests, one message at a time.
// http_parser 2.9 does the framing (request line, Content-Length, chunked); HttpHeadScanner,
// HttpChunkScanner and the checks at the end of the head refuse what RFC 9112 forbids and
// http_parser lets through.

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "reactor/http_chunk_scanner.hpp"
#include "reactor/http_error.hpp"
#include "reactor/http_head_scanner.hpp"
#include "reactor/http_request.hpp"

namespace spoke {

struct HttpParserLimits {
    size_t max_head_bytes = 32 * 1024;
    size_t max_headers = 100;
    size_t max_url_bytes = 8 * 1024;
    size_t max_body_bytes = 32u << 20;
};

class HttpRequestParser {
  public:
    explicit HttpRequestParser(HttpParserLimits limits);
    HttpRequestParser(const HttpRequestParser&) = delete;
    HttpRequestParser& operator=(const HttpRequestParser&) = delete;

    // What feed() stopped at.
    enum class Event : uint8_t {
        NeedMore,  // every byte was consumed; the message is not complete
        Head,      // a head was accepted (head() is valid); the body, if any, follows
        Message,   // a whole request is ready: take() it
        Failed,    // error() says why; the connection cannot continue
    };
    struct Step {
        Event event;
        size_t consumed;
    };
    // Parses from `data` until one of the events above. Feed the unconsumed rest again.
    Step feed(const char* data, size_t n);

    const HttpRequest* head() const { return request_.get(); }
    std::unique_ptr<HttpRequest> take();  // after Event::Message; readies the next message
    const std::optional<HttpError>& error() const { return error_; }

    // Some bytes of a message that is not complete have been seen.
    bool in_message() const { return scanner_.bytes() > 0 || in_body_; }
    bool in_body() const { return in_body_; }
    uint64_t body_received() const { return request_ ? request_->body.size() : 0; }

  private:
    static int on_message_begin(http_parser* p);
    static int on_url(http_parser* p, const char* at, size_t n);
    static int on_header_field(http_parser* p, const char* at, size_t n);
    static int on_header_value(http_parser* p, const char* at, size_t n);
    static int on_headers_complete(http_parser* p);
    static int on_body(http_parser* p, const char* at, size_t n);
    static int on_message_complete(http_parser* p);
    static const http_parser_settings kSettings;

    // The checks once the whole head is known; sets error_ when the request is refused.
    void check_head();
    bool split_target();
    void fail(HttpError e);
    void fail_from_parser();
    void start_message();

    HttpParserLimits limits_;
    http_parser parser_{};
    HttpHeadScanner scanner_;
    HttpChunkScanner chunk_scanner_;
    // Bytes at the start of the next feed() that the scanners have already checked: http_parser
    // stops on the head's final LF (it re-reads it when resumed), the scanner stops after it.
    size_t scanned_ahead_ = 0;
    std::unique_ptr<HttpRequest> request_;
    std::optional<HttpError> error_;
    bool in_value_ = false;
    bool in_body_ = false;
    bool head_done_ = false;
    bool message_done_ = false;
};

}  // namespace spoke
