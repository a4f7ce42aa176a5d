#include "reactor/http_connection.hpp"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "common/clock.hpp"
#include "reactor/http_response_head.hpp"
#include "reactor/http_server.hpp"
#include "reactor/log.hpp"
#include "reactor/log_throttle.hpp"
#include "reactor/request_id.hpp"

namespace spoke {

namespace {

// Work per wakeup is capped so one busy connection cannot starve the loop's others.
constexpr int kReadsPerWakeup = 4;
// Replies written but not yet sent past which the next pipelined request waits.
constexpr size_t kOutputHighWater = 1u << 20;
// After refusing a request, how long we keep reading (and dropping) what the client still sends,
// so that our error reply is not destroyed by a reset (RFC 9112 §9.6).
// Bounded in total and by a quiet period, as NGINX's lingering_time and lingering_timeout.
constexpr int64_t kLingerNs = 2'000'000'000;
constexpr int64_t kLingerQuietNs = 500'000'000;

int64_t ms_to_ns(std::chrono::milliseconds ms) {
    return static_cast<int64_t>(ms.count()) * 1'000'000;
}

LogThrottle& timeout_log(HttpTimeout t) {
    static LogThrottle header(LogLevel::Info, "client timed out sending a request head");
    static LogThrottle body(LogLevel::Info, "client timed out sending a request body");
    static LogThrottle write(LogLevel::Info, "client stopped reading its reply: disconnected");
    static LogThrottle idle(LogLevel::Debug, "idle keep-alive connection closed");
    switch (t) {
        case HttpTimeout::Header:
            return header;
        case HttpTimeout::Body:
            return body;
        case HttpTimeout::Write:
            return write;
        default:
            return idle;
    }
}

LogThrottle& protocol_error_log() {
    static LogThrottle log(LogLevel::Info, "request refused by the HTTP layer");
    return log;
}

void release_shared(const void*, size_t, void* extra) {
    std::unique_ptr<std::shared_ptr<const std::string>> owner(
        static_cast<std::shared_ptr<const std::string>*>(extra));
}

}  // namespace

HttpConnection::HttpConnection(HttpServer& server, int fd, uint64_t id,
                               const sockaddr_storage& peer, bool on_reserve)
    : server_(server),
      fd_(fd),
      id_(id),
      peer_(peer),
      on_reserve_(on_reserve),
      pump_later_(server.loop(), [this] { pump(); }),
      parser_(server.options().limits) {
    event_base* base = server.loop().base();
    read_ev_ = event_new(base, fd_, EV_READ | EV_PERSIST, &HttpConnection::on_readable, this);
    write_ev_ = event_new(base, fd_, EV_WRITE | EV_PERSIST, &HttpConnection::on_writable, this);
    output_ = evbuffer_new();
    head_started_ns_ = monotonic_coarse_ns();
    idle_since_ns_ = head_started_ns_;
}

HttpConnection::~HttpConnection() {
    if (state_ != State::Closed) close(CloseReason::ServerStopping);
    event_free(read_ev_);
    event_free(write_ev_);
    evbuffer_free(output_);
}

void HttpConnection::start() {
    set_reading(true);
}

std::string HttpConnection::peer_address() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (peer_.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&peer_);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    } else if (peer_.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&peer_);
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

void HttpConnection::set_reading(bool on) {
    if (on == reading_ || state_ == State::Closed) return;
    reading_ = on;
    if (on) {
        event_add(read_ev_, nullptr);
    } else {
        event_del(read_ev_);
    }
}

void HttpConnection::set_writing(bool on) {
    if (on == writing_ || state_ == State::Closed) return;
    writing_ = on;
    if (on) {
        event_add(write_ev_, nullptr);
    } else {
        event_del(write_ev_);
    }
}

void HttpConnection::on_readable(int, short, void* arg) {
    static_cast<HttpConnection*>(arg)->read_some();
}

void HttpConnection::on_writable(int, short, void* arg) {
    auto* self = static_cast<HttpConnection*>(arg);
    self->flush();
    if (self->state_ == State::Open && !self->writing_) self->pump();
}

bool HttpConnection::may_parse() const {
    if (state_ != State::Open || stop_parsing_ || pending_error_) return false;
    if (queue_.size() >= server_.options().max_pipeline) return false;
    // The next message may be as large as the body limit: room for it must be left.
    return held_body_bytes_ + server_.options().limits.max_body_bytes <=
               server_.options().max_connection_buffer ||
           held_body_bytes_ == 0;
}

void HttpConnection::read_some() {
    char* buf = server_.read_buffer();
    for (int i = 0; i < kReadsPerWakeup && state_ != State::Closed; ++i) {
        const ssize_t n = ::recv(fd_, buf, HttpServer::kReadBufferSize, 0);
        if (n > 0) {
            if (state_ == State::Lingering) {
                linger_last_read_ns_ = monotonic_coarse_ns();
                continue;  // dropped
            }
            if (stop_parsing_) continue;  // dropped
            const auto size = static_cast<size_t>(n);
            size_t used = 0;
            if (pending_input_.empty()) used = consume(buf, size);
            if (used < size && state_ == State::Open && !stop_parsing_ && !pending_error_) {
                pending_input_.append(buf + used, size - used);
            }
            if (state_ != State::Open) return;
            if (!may_parse()) break;  // backpressure: pump() resumes reading
            if (size < HttpServer::kReadBufferSize) break;
            continue;
        }
        if (n == 0) return handle_eof(CloseReason::Done);
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        return handle_eof(CloseReason::ReadError);
    }
    pump();
}

void HttpConnection::handle_eof(CloseReason reason) {
    if (state_ == State::Lingering) return close(CloseReason::Done);
    if (in_flight_) {
        // Gone, or at least no longer sending: the request in progress is abandoned (its work
        // is cancelled), but replies already queued are still delivered to a half-closed client.
        in_flight_ = false;
        server_.abandon_exchange(*this);
        queue_.clear();
    }
    read_eof_ = true;
    set_reading(false);
    // A half-closed client may still read the replies to what it already sent.
    if (queue_.empty() && evbuffer_get_length(output_) == 0) return close(reason);
    stop_parsing_ = true;
    close_after_write_ = true;
    pump();
}

size_t HttpConnection::consume(const char* data, size_t n) {
    size_t off = 0;
    while (off < n && may_parse()) {
        // A head's deadline runs from its first byte; the first request's from the accept.
        if (!parser_.in_message() && (served_ > 0 || in_flight_ || !queue_.empty())) {
            head_started_ns_ = monotonic_coarse_ns();
        }
        const HttpRequestParser::Step step = parser_.feed(data + off, n - off);
        off += step.consumed;
        switch (step.event) {
            case HttpRequestParser::Event::NeedMore:
                break;
            case HttpRequestParser::Event::Head: {
                body_started_ns_ = monotonic_coarse_ns();
                const HttpRequest& head = *parser_.head();
                // 100 Continue only when no earlier reply is owed: it would be read as theirs.
                if (head.expect_continue && !in_flight_ && queue_.empty() &&
                    evbuffer_get_length(output_) == 0 &&
                    (head.content_length > 0 || head.chunked)) {
                    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                    evbuffer_add(output_, kContinue.data(), kContinue.size());
                    flush();
                    if (state_ != State::Open) return off;
                }
                break;
            }
            case HttpRequestParser::Event::Message: {
                std::unique_ptr<HttpRequest> request = parser_.take();
                held_body_bytes_ += request->body.size();
                if (!request->keep_alive) stop_parsing_ = true;
                queue_.push_back(std::move(request));
                break;
            }
            case HttpRequestParser::Event::Failed:
                fail(*parser_.error());
                return n;
        }
        if (step.event == HttpRequestParser::Event::NeedMore) break;
    }
    return off;
}

void HttpConnection::fail(HttpError error) {
    // Whatever follows a refused request cannot be framed: nothing more is read as requests.
    stop_parsing_ = true;
    pending_input_.clear();
    if (!pending_error_) pending_error_ = std::move(error);
}

void HttpConnection::pump() {
    if (in_pump_) {
        pump_again_ = true;
        return;
    }
    in_pump_ = true;
    do {
        pump_again_ = false;
        // Requests go to the handlers one at a time, in order.
        while (state_ == State::Open && !in_flight_ && !queue_.empty() &&
               evbuffer_get_length(output_) < kOutputHighWater) {
            std::unique_ptr<HttpRequest> request = std::move(queue_.front());
            queue_.pop_front();
            in_flight_ = true;
            current_body_bytes_ = request->body.size();
            server_.dispatch(*this, std::move(request));
        }
        if (state_ == State::Open && pending_error_ && !in_flight_ && queue_.empty()) {
            write_error(*pending_error_);
            pending_error_.reset();
        }
        // Input held back by the pipelining caps, now that there may be room.
        if (state_ == State::Open && !pending_input_.empty() && may_parse()) {
            const size_t used = consume(pending_input_.data(), pending_input_.size());
            pending_input_.erase(0, used);
            if (!queue_.empty() && !in_flight_) pump_again_ = true;
        }
        if (state_ != State::Closed) flush();
    } while (pump_again_ && state_ != State::Closed);
    in_pump_ = false;
    if (state_ == State::Open) {
        set_reading(!read_eof_ && (may_parse() || stop_parsing_) && pending_input_.empty());
        if (!in_flight_ && queue_.empty() && !parser_.in_message() &&
            evbuffer_get_length(output_) == 0) {
            idle_since_ns_ = monotonic_coarse_ns();
        }
    }
}

void HttpConnection::send_reply(const std::string& head, std::string_view body,
                                std::shared_ptr<const std::string> shared) {
    if (state_ != State::Open) return;
    evbuffer_add(output_, head.data(), head.size());
    if (shared && !shared->empty()) {
        const std::string* raw = shared.get();
        auto owner = std::make_unique<std::shared_ptr<const std::string>>(std::move(shared));
        // The buffer references the cached bytes; the owner is released once they are sent.
        if (evbuffer_add_reference(output_, raw->data(), raw->size(), &release_shared,
                                   owner.get()) == 0) {
            (void)owner.release();
        }
    } else if (!body.empty()) {
        evbuffer_add(output_, body.data(), body.size());
    }
    // Replies from a completion go out now; inside pump() they go out with the batch.
    if (!in_pump_) flush();
}

void HttpConnection::exchange_done(bool close_after) {
    in_flight_ = false;
    held_body_bytes_ -= current_body_bytes_;
    current_body_bytes_ = 0;
    ++served_;
    if (close_after) {
        stop_parsing_ = true;
        close_after_write_ = true;
        queue_.clear();
        held_body_bytes_ = 0;
    }
    if (state_ != State::Open) return;
    // Never run the next handler inside the completion that replied: it may be iterating state
    // the next handler would touch.
    if (in_pump_) {
        pump_again_ = true;
    } else {
        pump_later_.schedule();
    }
}

void HttpConnection::write_error(const HttpError& error) {
    server_.counters().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    protocol_error_log().note();
    const std::string body = http_error_body(error.message, error.code);
    std::string head;
    head.reserve(256);
    append_status_and_framing(head, error.status, body.size());
    append_header(head, "Content-Type", "application/json; charset=utf-8");
    // The client's id when the head got far enough to carry one, so it can find the refusal.
    const HttpRequest* refused = parser_.head();
    const auto rid = refused != nullptr ? refused->header("X-Request-Id") : std::nullopt;
    append_header(head, "X-Request-Id",
                  rid && acceptable_request_id(*rid) ? std::string(*rid) : generate_request_id());
    append_header(head, "Connection", "close");
    head.append("\r\n");
    evbuffer_add(output_, head.data(), head.size());
    evbuffer_add(output_, body.data(), body.size());
    close_after_write_ = true;
    // A client that timed out is not sending: lingering would only hold its descriptor.
    linger_after_write_ = error.status != 408;
    queue_.clear();
}

void HttpConnection::flush() {
    if (state_ == State::Closed) return;
    bool progressed = false;
    while (evbuffer_get_length(output_) > 0) {
        const int n = evbuffer_write(output_, fd_);
        if (n > 0) {
            progressed = true;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        return close(in_flight_ ? CloseReason::ClientGone : CloseReason::WriteError);
    }
    if (evbuffer_get_length(output_) > 0) {
        if (progressed || !writing_) write_progress_ns_ = monotonic_coarse_ns();
        set_writing(true);
        return;
    }
    set_writing(false);
    if (close_after_write_ && !in_flight_ && queue_.empty() && !pending_error_) {
        if (linger_after_write_ && !read_eof_) return start_lingering();
        return close(linger_after_write_ ? CloseReason::ProtocolError : CloseReason::Done);
    }
}

void HttpConnection::start_lingering() {
    state_ = State::Lingering;
    ::shutdown(fd_, SHUT_WR);
    linger_started_ns_ = monotonic_coarse_ns();
    linger_last_read_ns_ = linger_started_ns_;
    reading_ = false;  // re-enabled below whatever it was
    set_reading(true);
}

void HttpConnection::close_if_idle() {
    if (state_ != State::Open) return;
    if (!in_flight_ && queue_.empty() && !parser_.in_message() &&
        evbuffer_get_length(output_) == 0) {
        close(CloseReason::Draining);
    }
}

void HttpConnection::check_deadlines(int64_t now) {
    if (state_ == State::Closed) return;
    if (state_ == State::Lingering) {
        if (now - linger_started_ns_ > kLingerNs || now - linger_last_read_ns_ > kLingerQuietNs) {
            close(CloseReason::Done);
        }
        return;
    }
    const HttpServerOptions& o = server_.options();
    if (writing_ && now - write_progress_ns_ > ms_to_ns(o.write_timeout)) {
        server_.counters().timeout(HttpTimeout::Write);
        timeout_log(HttpTimeout::Write).note();
        return close(CloseReason::Timeout);
    }
    // While a request is with a handler (or waits for one), its own deadline bounds it.
    if (in_flight_ || !queue_.empty() || pending_error_ || stop_parsing_ || !reading_) return;
    HttpTimeout kind;
    if (parser_.in_body()) {
        const int64_t allowed = ms_to_ns(o.read_timeout) +
                                static_cast<int64_t>(parser_.body_received() * 1'000'000'000 /
                                                     std::max<size_t>(o.min_body_rate, 1));
        if (now - body_started_ns_ <= allowed) return;
        kind = HttpTimeout::Body;
    } else if (parser_.in_message() || served_ == 0) {
        if (now - head_started_ns_ <= ms_to_ns(o.header_timeout)) return;
        kind = HttpTimeout::Header;
    } else {
        if (writing_ || now - idle_since_ns_ <= ms_to_ns(o.idle_timeout)) return;
        server_.counters().timeout(HttpTimeout::Idle);
        timeout_log(HttpTimeout::Idle).note();
        return close(CloseReason::Timeout);
    }
    server_.counters().timeout(kind);
    timeout_log(kind).note();
    fail({408, "REQUEST_TIMEOUT",
          kind == HttpTimeout::Body
              ? "the request body arrived too slowly (SPOKE_READ_TIMEOUT, SPOKE_MIN_BODY_RATE)"
              : "the request head did not arrive in time (SPOKE_HEADER_TIMEOUT)"});
    pump();
}

void HttpConnection::close(CloseReason reason) {
    if (state_ == State::Closed) return;
    if (in_flight_ && reason != CloseReason::ServerStopping) server_.abandon_exchange(*this);
    set_reading(false);
    set_writing(false);
    pump_later_.cancel();
    state_ = State::Closed;
    ::close(fd_);
    fd_ = -1;
    in_flight_ = false;
    queue_.clear();
    pending_input_.clear();
    server_.connection_closed(*this);
}

}  // namespace spoke
