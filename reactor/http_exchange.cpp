#include "reactor/http_exchange.hpp"

#include <ctime>

#include "reactor/http_connection.hpp"
#include "reactor/http_response_head.hpp"
#include "reactor/http_server.hpp"
#include "reactor/log.hpp"
#include "reactor/percent_encoding.hpp"
#include "reactor/request_id.hpp"

namespace spoke {

namespace {

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Bodies at least this large are handed to the socket buffer by reference, not copied.
constexpr size_t kCopyBelow = 16 * 1024;

}  // namespace

HttpExchange::HttpExchange(HttpServer& server, HttpConnection& conn,
                           std::unique_ptr<HttpRequest> request, uint64_t id)
    : server_(server), conn_(&conn), request_(std::move(request)), id_(id), started_ns_(now_ns()) {
    const auto rid = request_->header("X-Request-Id");
    request_id_ = (rid && acceptable_request_id(*rid)) ? std::string(*rid) : generate_request_id();
    const auto tp = request_->header("traceparent");
    if (tp && acceptable_request_id(*tp)) traceparent_ = std::string(*tp);
    trace_ = TraceContext::for_request(tp);
}

HttpExchange::~HttpExchange() = default;

std::string HttpExchange::peer_address() const {
    return conn_ != nullptr ? conn_->peer_address() : std::string();
}

EventLoop& HttpExchange::loop() const {
    return server_.loop();
}

std::optional<std::string> HttpExchange::query(std::string_view key) const {
    if (request_->query.empty()) return std::nullopt;
    return query_param(request_->query, key);
}

std::optional<std::string_view> HttpExchange::header(std::string_view name) const {
    return request_->header(name);
}

size_t HttpExchange::count_headers(std::string_view name) const {
    return request_->count_headers(name);
}

std::string_view HttpExchange::body() const {
    return request_->body;
}

const std::string* HttpExchange::log_field(std::string_view key) const {
    for (const auto& [k, v] : log_fields_) {
        if (k == key) return &v;
    }
    return nullptr;
}

void HttpExchange::add_header(std::string_view name, std::string_view value) {
    if (replied_) return;
    append_header(extra_headers_, name, value);
}

void HttpExchange::reply(int status, std::string_view content_type, std::string body) {
    if (body.size() >= kCopyBelow) {
        auto shared = std::make_shared<const std::string>(std::move(body));
        send(status, content_type, *shared, shared);
        return;
    }
    send(status, content_type, body, nullptr);
}

void HttpExchange::reply_shared(int status, std::string_view content_type,
                                std::shared_ptr<const std::string> body) {
    const std::string_view view = body ? std::string_view(*body) : std::string_view();
    send(status, content_type, view, std::move(body));
}

void HttpExchange::detach() {
    conn_ = nullptr;
    detached_ = true;
    replied_ = true;
    lifetime_.end();
}

void HttpExchange::send(int status, std::string_view content_type, std::string_view body,
                        std::shared_ptr<const std::string> shared) {
    if (replied_) {
        // A reply after the client left is expected (the completion raced the disconnect).
        if (!detached_) {
            Log::write(LogLevel::Error, "second reply to a request ignored",
                       {{"request_id", std::string_view(request_id_)}});
        }
        return;
    }
    replied_ = true;
    lifetime_.end();  // work still queued for this request is no longer wanted
    const bool close_after = !request_->keep_alive || server_.draining();
    std::string head;
    head.reserve(160 + extra_headers_.size() + content_type.size() + request_id_.size());
    append_status_and_framing(head, status, body.size());
    if (!content_type.empty()) append_header(head, "Content-Type", content_type);
    append_header(head, "X-Request-Id", request_id_);
    if (close_after) {
        head.append("Connection: close\r\n");
    } else if (request_->version_minor == 0) {
        head.append("Connection: keep-alive\r\n");
    }
    head.append(extra_headers_);
    head.append("\r\n");
    HttpConnection* conn = conn_;
    conn_ = nullptr;  // the reply is the last thing this exchange does with its connection
    if (request_->method == HttpMethod::Head) {
        conn->send_reply(head, {}, nullptr);  // the GET's length, without its body
    } else {
        conn->send_reply(head, body, std::move(shared));
    }
    conn->exchange_done(close_after);
    server_.finished(*this, status, body.size());
}

HttpExchange* ExchangeHandle::get() const {
    return server_ ? server_->find(id_) : nullptr;
}

}  // namespace spoke
