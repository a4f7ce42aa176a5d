#include "reactor/http_server.hpp"

#include <event2/http.h>
#include <event2/listener.h>
#include <unistd.h>

#include <cstdio>

namespace spoke {

namespace {
constexpr std::string_view kDeadlineBody =
    R"({"error":"the request did not complete before its deadline","code":"UNAVAILABLE"})";
}

HttpServer::HttpServer(EventLoop& loop, const Router& router, HttpServerOptions options,
                       ExchangeObserver* observer)
    : loop_(loop), router_(router), options_(options), observer_(observer) {
    http_ = evhttp_new(loop_.base());
    evhttp_set_gencb(http_, &HttpServer::on_request, this);
    evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(options_.max_body_bytes));
    evhttp_set_max_headers_size(http_, static_cast<ev_ssize_t>(options_.max_header_bytes));
    evhttp_set_timeout(http_, static_cast<int>(options_.io_timeout.count()));
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                          EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                          EVHTTP_REQ_PATCH);
    // Without lingering close an over-size body resets the connection instead of a 413.
    evhttp_set_flags(http_, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_default_content_type(http_, "application/json; charset=utf-8");
}

HttpServer::~HttpServer() {
    // Exchanges still live here are abandoned: evhttp_free releases their requests.
    live_.clear();
    evhttp_free(http_);
}

bool HttpServer::accept_on(int fd) {
    bound_ = evhttp_accept_socket_with_handle(http_, fd);
    if (bound_ == nullptr) {
        ::close(fd);
        return false;
    }
    return true;
}

void HttpServer::stop_accepting() {
    if (bound_ != nullptr) {
        evhttp_del_accept_socket(http_, bound_);  // closes the listening fd
        bound_ = nullptr;
    }
}

HttpExchange* HttpServer::find(uint64_t id) const {
    auto it = live_.find(id);
    if (it == live_.end() || it->second.exchange->replied()) return nullptr;
    return it->second.exchange.get();
}

void HttpServer::on_request(evhttp_request* req, void* arg) {
    static_cast<HttpServer*>(arg)->handle(req);
}

void HttpServer::handle(evhttp_request* req) {
    const uint64_t id = next_id_++;
    auto& slot = live_[id];
    live_count_.fetch_add(1, std::memory_order_relaxed);
    slot.exchange = std::make_unique<HttpExchange>(*this, req, id);
    HttpExchange& ex = *slot.exchange;

    Router::Match match = router_.match(ex.method(), ex.path());
    if (match.handler != nullptr) {
        ex.set_route(match.route, match.index);
        (*match.handler)(ex, match.params);
    } else if (match.bad_encoding) {
        router_.bad_path()(ex, match.params);
    } else if (!match.allow.empty()) {
        match.params.set("allow", match.allow);
        router_.method_not_allowed()(ex, match.params);
    } else {
        router_.not_found()(ex, match.params);
    }
    if (ex.replied()) return;

    // Still waiting on a backend or a worker: bound the wait.
    auto it = live_.find(id);
    it->second.deadline = std::make_unique<Timer>(loop_, [this, id] {
        if (HttpExchange* pending = find(id)) {
            pending->add_header("Retry-After", "1");
            pending->reply(503, "application/json; charset=utf-8", std::string(kDeadlineBody));
        }
    });
    it->second.deadline->arm(options_.request_deadline);
}

void HttpServer::finished(HttpExchange& ex, int status, size_t body_bytes) {
    if (observer_ != nullptr) {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const int64_t now = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
        observer_->on_reply(ex, status, body_bytes, now - ex.started_ns());
    }
    // Freed on a later iteration: we may be inside the exchange's own deadline timer.
    finished_.push_back(ex.id());
    if (finished_.size() == 1) loop_.defer([this] { free_finished(); });
}

void HttpServer::free_finished() {
    for (uint64_t id : finished_) live_.erase(id);
    live_count_.fetch_sub(finished_.size(), std::memory_order_relaxed);
    finished_.clear();
}

}  // namespace spoke
