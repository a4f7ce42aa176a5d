#include "reactor/http_exchange.hpp"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <random>

#include "reactor/http_server.hpp"
#include "reactor/log.hpp"

namespace spoke {

namespace {

HttpMethod to_method(evhttp_cmd_type cmd) {
    switch (cmd) {
        case EVHTTP_REQ_GET:
            return HttpMethod::Get;
        case EVHTTP_REQ_HEAD:
            return HttpMethod::Head;
        case EVHTTP_REQ_POST:
            return HttpMethod::Post;
        case EVHTTP_REQ_PUT:
            return HttpMethod::Put;
        case EVHTTP_REQ_DELETE:
            return HttpMethod::Delete;
        case EVHTTP_REQ_PATCH:
            return HttpMethod::Patch;
        case EVHTTP_REQ_OPTIONS:
            return HttpMethod::Options;
        default:
            return HttpMethod::Other;
    }
}

const char* reason_phrase(int status) {
    switch (status) {
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
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

// A client-sent request id is echoed only if it is short and printable (it reaches logs).
bool acceptable_request_id(const char* v) {
    size_t n = 0;
    for (; v[n] != '\0'; ++n) {
        unsigned char c = static_cast<unsigned char>(v[n]);
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || n >= 128) return false;
    }
    return n > 0;
}

// Unique per process: 8 hex digits of a random prefix chosen at start, then 12 of a global
// counter. Formatted by hand: snprintf showed up in the hot-path profile.
std::string generate_request_id() {
    static const uint32_t prefix = std::random_device{}();
    static std::atomic<uint64_t> counter{0};
    static constexpr char kHex[] = "0123456789abcdef";
    const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
    std::string id(20, '0');
    for (int i = 0; i < 8; ++i) id[i] = kHex[(prefix >> (28 - 4 * i)) & 0xf];
    for (int i = 0; i < 12; ++i) id[8 + i] = kHex[(n >> (44 - 4 * i)) & 0xf];
    return id;
}

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void release_shared_body(const void*, size_t, void* extra) {
    std::unique_ptr<std::shared_ptr<const std::string>> owner(
        static_cast<std::shared_ptr<const std::string>*>(extra));
}

}  // namespace

HttpExchange::HttpExchange(HttpServer& server, evhttp_request* req, uint64_t id)
    : server_(server), req_(req), id_(id), started_ns_(now_ns()) {
    method_ = to_method(evhttp_request_get_command(req));
    const char* uri = evhttp_request_get_uri(req);
    std::string_view u = uri ? uri : "/";
    size_t q = u.find('?');
    path_ = std::string(u.substr(0, q));
    if (q != std::string_view::npos) raw_query_ = std::string(u.substr(q + 1));
    const char* rid = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Request-Id");
    request_id_ = (rid && acceptable_request_id(rid)) ? std::string(rid) : generate_request_id();
    if (const char* tp = evhttp_find_header(evhttp_request_get_input_headers(req), "traceparent");
        tp && acceptable_request_id(tp)) {
        traceparent_ = tp;
    }
}

std::string HttpExchange::peer_address() const {
    if (req_ == nullptr) return {};
    evhttp_connection* conn = evhttp_request_get_connection(req_);
    if (conn == nullptr) return {};
    char* addr = nullptr;
    uint16_t port = 0;
    evhttp_connection_get_peer(conn, &addr, &port);
    return addr ? std::string(addr) : std::string();
}

HttpExchange::~HttpExchange() = default;

EventLoop& HttpExchange::loop() const {
    return server_.loop();
}

std::optional<std::string> HttpExchange::query(std::string_view key) const {
    if (raw_query_.empty()) return std::nullopt;
    evkeyvalq params;
    TAILQ_INIT(&params);
    std::optional<std::string> out;
    if (evhttp_parse_query_str(raw_query_.c_str(), &params) == 0) {
        std::string k(key);
        if (const char* v = evhttp_find_header(&params, k.c_str())) out = v;
    }
    evhttp_clear_headers(&params);
    return out;
}

std::optional<std::string_view> HttpExchange::header(std::string_view name) const {
    if (req_ == nullptr) return std::nullopt;
    std::string n(name);
    const char* v = evhttp_find_header(evhttp_request_get_input_headers(req_), n.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string_view(v);
}

std::string_view HttpExchange::body() const {
    if (req_ == nullptr) return {};
    evbuffer* in = evhttp_request_get_input_buffer(req_);
    const size_t n = evbuffer_get_length(in);
    if (n == 0) return {};
    // Contiguous view owned by the request's buffer, valid until the reply is sent.
    const unsigned char* data = evbuffer_pullup(in, -1);
    return {reinterpret_cast<const char*>(data), n};
}

void HttpExchange::add_header(std::string_view name, std::string_view value) {
    if (req_ == nullptr || replied_) return;
    // Straight into libevent's list (it copies): no second list of ours to allocate and walk.
    std::string n(name), v(value);
    evhttp_add_header(evhttp_request_get_output_headers(req_), n.c_str(), v.c_str());
}

void HttpExchange::reply(int status, std::string_view content_type, std::string body) {
    const size_t n = body.size();
    send(status, content_type, n,
         [&](evbuffer* out) { evbuffer_add(out, body.data(), body.size()); });
}

void HttpExchange::reply_shared(int status, std::string_view content_type,
                                std::shared_ptr<const std::string> body) {
    const size_t n = body ? body->size() : 0;
    send(status, content_type, n, [&](evbuffer* out) {
        if (n == 0) return;
        const std::string* raw = body.get();
        auto owner = std::make_unique<std::shared_ptr<const std::string>>(std::move(body));
        // The buffer references the cached bytes; the owner is released once they are sent.
        if (evbuffer_add_reference(out, raw->data(), raw->size(), &release_shared_body,
                                   owner.get()) == 0) {
            (void)owner.release();
        }
    });
}

void HttpExchange::send(int status, std::string_view content_type, size_t body_size,
                        const std::function<void(evbuffer*)>& fill) {
    if (replied_ || req_ == nullptr) {
        Log::write(LogLevel::Error, "second reply to a request ignored",
                   {{"request_id", std::string_view(request_id_)}});
        return;
    }
    replied_ = true;
    lifetime_.end();  // work still queued for this request is no longer wanted
    evkeyvalq* out_headers = evhttp_request_get_output_headers(req_);
    if (!content_type.empty()) {
        std::string ct(content_type);
        evhttp_add_header(out_headers, "Content-Type", ct.c_str());
    }
    evhttp_add_header(out_headers, "X-Request-Id", request_id_.c_str());
    if (server_.draining()) evhttp_add_header(out_headers, "Connection", "close");

    evbuffer* out = evhttp_request_get_output_buffer(req_);
    fill(out);
    evhttp_request* req = req_;
    req_ = nullptr;  // libevent frees it once the reply is written
    evhttp_send_reply(req, status, reason_phrase(status), nullptr);
    server_.finished(*this, status, body_size);
}

HttpExchange* ExchangeHandle::get() const {
    return server_ ? server_->find(id_) : nullptr;
}

}  // namespace spoke
