#pragma once
// HttpConnection: one accepted HTTP/1.x connection. It reads and parses requests, hands them to
// its HttpServer one at a time (pipelined ones wait in order, up to a cap), writes the replies in
// order, enforces the read, idle and write deadlines, and closes through one path with a reason.

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reactor/defer_event.hpp"
#include "reactor/http_error.hpp"
#include "reactor/http_request.hpp"
#include "reactor/http_request_parser.hpp"

struct event;
struct evbuffer;

namespace spoke {

class HttpServer;

// Why a connection ended (logged at debug level, counted where it matters).
enum class CloseReason : uint8_t {
    Done,        // the client closed, or a "Connection: close" exchange completed
    ClientGone,  // the client left while its request was being handled
    ReadError,   // reset by the peer
    WriteError,  // reset while we wrote
    Timeout,     // a deadline passed (see HttpTimeout)
    ProtocolError,
    Draining,
    ServerStopping,
};

class HttpConnection {
  public:
    HttpConnection(HttpServer& server, int fd, uint64_t id, const sockaddr_storage& peer,
                   bool on_reserve);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    void start();
    uint64_t id() const { return id_; }
    bool closed() const { return state_ == State::Closed; }
    bool on_reserve() const { return on_reserve_; }
    std::string peer_address() const;
    // The exchange of the request in progress (set by the server when it dispatches one).
    void set_exchange(uint64_t id) { exchange_ = id; }
    uint64_t exchange() const { return exchange_; }

    // The reply of the exchange in progress: the head, then the body (copied, or referenced
    // until written when `shared` is set). Written in order after earlier replies.
    void send_reply(const std::string& head, std::string_view body,
                    std::shared_ptr<const std::string> shared);
    // The exchange in progress has replied: the next request may go.
    void exchange_done(bool close_after);
    // Deadlines, checked by the server's sweep. `now_ns` is CLOCK_MONOTONIC_COARSE.
    void check_deadlines(int64_t now_ns);
    // Drain: close now if no request is in progress or partly received.
    void close_if_idle();
    void close(CloseReason reason);

  private:
    enum class State : uint8_t { Open, Lingering, Closed };
    static void on_readable(int fd, short what, void* arg);
    static void on_writable(int fd, short what, void* arg);
    void read_some();
    void handle_eof(CloseReason reason);
    // Feeds `data` to the parser while requests may be queued; returns how much it took.
    size_t consume(const char* data, size_t n);
    bool may_parse() const;
    void pump();
    void flush();
    void fail(HttpError error);
    void write_error(const HttpError& error);
    void start_lingering();
    void set_reading(bool on);
    void set_writing(bool on);

    HttpServer& server_;
    int fd_;
    const uint64_t id_;
    sockaddr_storage peer_;
    const bool on_reserve_;
    State state_ = State::Open;
    event* read_ev_ = nullptr;
    event* write_ev_ = nullptr;
    evbuffer* output_ = nullptr;
    DeferEvent pump_later_;
    HttpRequestParser parser_;
    std::deque<std::unique_ptr<HttpRequest>> queue_;  // complete, waiting for their turn
    std::string pending_input_;                       // read, not parsed (pipelining backpressure)
    size_t held_body_bytes_ = 0;  // bodies of the queued requests and the one in progress
    size_t current_body_bytes_ = 0;
    bool in_flight_ = false;     // a request is with a handler
    bool stop_parsing_ = false;  // after "Connection: close" or a refused request
    bool close_after_write_ = false;
    bool linger_after_write_ = false;
    bool read_eof_ = false;
    bool reading_ = false;
    bool writing_ = false;
    bool in_pump_ = false;
    bool pump_again_ = false;
    std::optional<HttpError> pending_error_;  // answered once the earlier requests are
    uint64_t served_ = 0;
    uint64_t exchange_ = 0;
    // Deadline clocks (monotonic ns).
    int64_t head_started_ns_ = 0;  // first byte of the head being read (accept for the first)
    int64_t body_started_ns_ = 0;
    int64_t idle_since_ns_ = 0;
    int64_t write_progress_ns_ = 0;
    int64_t linger_started_ns_ = 0;
    int64_t linger_last_read_ns_ = 0;
};

}  // namespace spoke
