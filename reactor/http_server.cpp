#include "reactor/http_server.hpp"

#include <event2/event.h>
#include <fcntl.h>
#include <http_parser.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>

#include "common/clock.hpp"
#include "reactor/http_connection.hpp"
#include "reactor/log.hpp"
#include "reactor/log_throttle.hpp"
#include "reactor/trace_scope.hpp"

namespace spoke {

namespace {

constexpr std::chrono::milliseconds kDrainIdleGrace{250};
constexpr std::string_view kDeadlineBody =
    R"({"error":"the request did not complete before its deadline","code":"UNAVAILABLE"})";
// Connections accepted per wakeup: a flood of connects cannot starve the open connections.
constexpr int kAcceptsPerWakeup = 64;
constexpr std::chrono::milliseconds kAcceptRetry{100};

LogThrottle& refused_limit_log() {
    static LogThrottle log(LogLevel::Warn,
                           "connection refused: SPOKE_MAX_CONNECTIONS connections are open");
    return log;
}
LogThrottle& refused_descriptors_log() {
    static LogThrottle log(LogLevel::Warn, "connection refused: out of file descriptors");
    return log;
}
LogThrottle& client_gone_log() {
    static LogThrottle log(LogLevel::Info, "client disconnected before its reply");
    return log;
}
LogThrottle& accept_error_log() {
    static LogThrottle log(LogLevel::Warn, "accept failed");
    return log;
}

// http_parser's own head limit is process-wide: it must not fire before ours (431 with our
// message). Raised once, before any loop parses.
void raise_parser_head_limit(size_t ours) {
    static std::mutex m;
    static size_t applied = 0;
    std::lock_guard lock(m);
    const size_t wanted = std::max<size_t>(ours + 4096, 80 * 1024);
    if (wanted > applied) {
        http_parser_set_max_header_size(static_cast<uint32_t>(wanted));
        applied = wanted;
    }
}

bool is_descriptor_shortage(int err) {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

HttpServer::HttpServer(EventLoop& loop, const Router& router, HttpServerOptions options,
                       ExchangeObserver* observer)
    : loop_(loop),
      router_(router),
      options_(options),
      observer_(observer),
      read_buffer_(std::make_unique<char[]>(kReadBufferSize)),
      free_later_(loop, [this] { free_finished(); }) {
    if (options_.budget == nullptr) {
        own_budget_ = std::make_unique<ConnectionBudget>(options_.max_connections);
    }
    budget_ = options_.budget != nullptr ? options_.budget : own_budget_.get();
    if (options_.counters == nullptr) own_counters_ = std::make_unique<HttpCounters>();
    counters_ = options_.counters != nullptr ? options_.counters : own_counters_.get();
    accept_mutex_ = options_.accept_mutex != nullptr ? options_.accept_mutex : &own_accept_mutex_;
    raise_parser_head_limit(options_.limits.max_head_bytes);
    refill_reserve();
    // Deadlines are checked by one sweep a loop, not a timer per connection: the hot path only
    // stamps times. The sweep's period bounds how late a deadline is noticed.
    const auto shortest = std::min({options_.header_timeout, options_.read_timeout,
                                    options_.idle_timeout, options_.write_timeout});
    const auto period =
        std::clamp(shortest / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    sweep_timer_ = std::make_unique<Timer>(loop_, [this, period] {
        sweep();
        sweep_timer_->arm(period);
    });
    sweep_timer_->arm(period);
}

HttpServer::~HttpServer() {
    stop_accepting();
    sweep_timer_.reset();
    drain_idle_close_.reset();
    // Exchanges still live here are abandoned with their connections.
    for (auto& [id, live] : live_) live.exchange->detach();
    live_.clear();
    for (auto& [id, conn] : connections_) conn->close(CloseReason::ServerStopping);
    connections_.clear();
    for (int fd : reserve_) ::close(fd);
    accept_retry_.reset();
}

bool HttpServer::accept_on(int fd) {
    listen_fd_ = fd;
    accept_ev_ =
        event_new(loop_.base(), fd, EV_READ | EV_PERSIST, &HttpServer::on_acceptable, this);
    if (accept_ev_ == nullptr || event_add(accept_ev_, nullptr) != 0) {
        stop_accepting();
        return false;
    }
    return true;
}

void HttpServer::stop_accepting() {
    if (accept_ev_ != nullptr) {
        event_free(accept_ev_);
        accept_ev_ = nullptr;
    }
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
}

void HttpServer::set_draining() {
    draining_ = true;
    // An idle keep-alive connection is not closed at once: its client may be sending the next
    // request at this very moment, and a close then reads to it as a reset (seen with wrk as one
    // read error per connection per restart). For a short grace it may still bring one request,
    // answered with Connection: close; then whatever is still idle is closed.
    drain_idle_close_ = std::make_unique<Timer>(loop_, [this] {
        for (auto& [id, conn] : connections_) conn->close_if_idle();
    });
    drain_idle_close_->arm(kDrainIdleGrace);
}

void HttpServer::on_acceptable(int, short, void* arg) {
    static_cast<HttpServer*>(arg)->accept_some();
}

void HttpServer::accept_some() {
    for (int i = 0; i < kAcceptsPerWakeup && listen_fd_ >= 0; ++i) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        int fd = -1;
        int err = 0;
        {
            std::lock_guard lock(*accept_mutex_);
            fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
            err = errno;
        }
        if (fd >= 0) {
            adopt(fd, peer, false);
            continue;
        }
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
        if (is_descriptor_shortage(err)) return accept_on_reserve();
        accept_error_log().note();
        return;
    }
}

void HttpServer::adopt(int fd, const sockaddr_storage& peer, bool on_reserve) {
    // Past the cap a connection costs one accept and one close: no read, no reply.
    if (!budget_->try_acquire()) {
        ::close(fd);
        counters_->reject(HttpRejection::ConnectionLimit);
        refused_limit_log().note();
        return;
    }
    counters_->accepted.fetch_add(1, std::memory_order_relaxed);
    const uint64_t id = next_connection_id_++;
    auto conn = std::make_unique<HttpConnection>(*this, fd, id, peer, on_reserve);
    HttpConnection& c = *conn;
    connections_.emplace(id, std::move(conn));
    c.start();
}

// Out of descriptors: a reserve descriptor is closed so the waiting connection can be accepted,
// then closed (API) or served (health); either way the listener does not spin on EMFILE and the
// client is not left hanging in the backlog.
void HttpServer::accept_on_reserve() {
    sockaddr_storage peer{};
    int fd = -1;
    bool reserve_left = false;
    {
        // Freed, taken and refilled with no other loop's accept in between (see accept_mutex).
        std::lock_guard lock(*accept_mutex_);
        if (reserve_.empty()) {
            refill_reserve();
            if (reserve_.empty()) return pause_accepting();
        }
        ::close(reserve_.back());
        reserve_.pop_back();
        socklen_t len = sizeof peer;
        fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 && !options_.serve_on_reserve) {
            ::close(fd);
            fd = -2;  // accepted and closed: refused
        }
        if (fd < 0) refill_reserve();
        reserve_left = !reserve_.empty();
    }
    if (fd >= 0) {
        adopt(fd, peer, true);
        return;
    }
    if (fd == -2) {
        counters_->reject(HttpRejection::Descriptors);
        refused_descriptors_log().note();
    }
    if (!reserve_left) pause_accepting();
}

void HttpServer::refill_reserve() {
    while (reserve_.size() < options_.reserve_descriptors) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        reserve_.push_back(fd);
    }
}

void HttpServer::pause_accepting() {
    if (accept_ev_ == nullptr) return;
    event_del(accept_ev_);
    if (!accept_retry_) {
        accept_retry_ = std::make_unique<Timer>(loop_, [this] {
            {
                std::lock_guard lock(*accept_mutex_);
                refill_reserve();
            }
            if (accept_ev_ != nullptr) event_add(accept_ev_, nullptr);
        });
    }
    if (!accept_retry_->armed()) {
        refused_descriptors_log().note();
        accept_retry_->arm(kAcceptRetry);
    }
}

HttpExchange* HttpServer::find(uint64_t id) const {
    auto it = live_.find(id);
    if (it == live_.end() || it->second.exchange->replied()) return nullptr;
    return it->second.exchange.get();
}

void HttpServer::dispatch(HttpConnection& conn, std::unique_ptr<HttpRequest> request) {
    const uint64_t id = next_id_++;
    auto& slot = live_[id];
    live_count_.fetch_add(1, std::memory_order_relaxed);
    slot.exchange = std::make_unique<HttpExchange>(*this, conn, std::move(request), id);
    conn.set_exchange(id);
    HttpExchange& ex = *slot.exchange;

    Router::Match match = router_.match(ex.method(), ex.path());
    if (match.handler != nullptr) {
        ex.set_route(match.route, match.index);
        // What the handler starts (statements, S3 requests, jobs) belongs to this request's span.
        std::optional<TraceScope> scope;
        if (options_.traced) scope.emplace(ex.trace());
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

void HttpServer::connection_closed(HttpConnection& conn) {
    budget_->release();
    if (conn.on_reserve()) {
        std::lock_guard lock(*accept_mutex_);
        refill_reserve();
    }
    closed_connections_.push_back(conn.id());
    free_later_.schedule();
}

void HttpServer::abandon_exchange(HttpConnection& conn) {
    // The client left while its request was with a handler: the exchange is finished now, its
    // queued work is skipped and its completion finds nothing to reply to.
    auto it = live_.find(conn.exchange());
    if (it == live_.end() || it->second.exchange->replied()) return;
    HttpExchange& ex = *it->second.exchange;
    counters_->client_gone.fetch_add(1, std::memory_order_relaxed);
    client_gone_log().note();
    ex.detach();
    finished(ex, 499, 0);
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
    free_later_.schedule();
}

void HttpServer::free_finished() {
    for (uint64_t id : finished_) live_.erase(id);
    live_count_.fetch_sub(finished_.size(), std::memory_order_relaxed);
    finished_.clear();
    for (uint64_t id : closed_connections_) connections_.erase(id);
    closed_connections_.clear();
}

void HttpServer::sweep() {
    const int64_t now = monotonic_coarse_ns();
    for (auto& [id, conn] : connections_) conn->check_deadlines(now);
}

}  // namespace spoke
