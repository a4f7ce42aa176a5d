#include "reactor/http_server.hpp"

#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "reactor/log.hpp"

namespace spoke {

namespace {

// libevent hands the accept-error callback the evhttp, not us: this finds the owning server.
// Touched only at construction, destruction and on accept errors.
std::mutex servers_mutex;
std::unordered_map<const evhttp*, HttpServer*>& servers_by_http() {
    static std::unordered_map<const evhttp*, HttpServer*> servers;
    return servers;
}

HttpServer* server_of(const evhttp* http) {
    std::lock_guard lock(servers_mutex);
    auto it = servers_by_http().find(http);
    return it == servers_by_http().end() ? nullptr : it->second;
}

constexpr std::string_view kDeadlineBody =
    R"({"error":"the request did not complete before its deadline","code":"UNAVAILABLE"})";
}  // namespace

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
    std::lock_guard lock(servers_mutex);
    servers_by_http()[http_] = this;
}

HttpServer::~HttpServer() {
    // Exchanges still live here are abandoned: evhttp_free releases their requests.
    live_.clear();
    {
        std::lock_guard lock(servers_mutex);
        servers_by_http().erase(http_);
    }
    accept_retry_.reset();
    evhttp_free(http_);
}

bool HttpServer::accept_on(int fd) {
    bound_ = evhttp_accept_socket_with_handle(http_, fd);
    if (bound_ == nullptr) {
        ::close(fd);
        return false;
    }
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound_),
                                &HttpServer::on_accept_error);
    return true;
}

void HttpServer::on_accept_error(evconnlistener* listener, void* arg) {
    const int err = EVUTIL_SOCKET_ERROR();
    HttpServer* self = server_of(static_cast<const evhttp*>(arg));
    if (self == nullptr) return;
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
        Log::write(LogLevel::Warn, "accept failed",
                   {{"error", std::string_view(std::strerror(err))}});
        return;
    }
    // The pending connection stays in the kernel's queue; try again shortly instead of spinning.
    evconnlistener_disable(listener);
    if (!self->accept_retry_) {
        self->accept_retry_ = std::make_unique<Timer>(self->loop_, [self] {
            if (self->bound_ != nullptr) {
                evconnlistener_enable(evhttp_bound_socket_get_listener(self->bound_));
            }
        });
    }
    if (!self->accept_retry_->armed()) {
        Log::write(LogLevel::Warn, "out of file descriptors: pausing accept for 100 ms",
                   {{"loop", static_cast<int64_t>(self->loop_.index())}});
        self->accept_retry_->arm(std::chrono::milliseconds(100));
    }
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
