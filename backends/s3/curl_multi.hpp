#pragma once
// CurlMulti: one libcurl multi handle driven by one EventLoop (socket and timer callbacks on
// libevent), completing each easy transfer through a deferred task.

#include <curl/curl.h>

#include <memory>
#include <unordered_map>

#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/defer_event.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/timer.hpp"

namespace spoke {

// Calls curl_global_init once per process (std::call_once); CurlMulti's constructor calls it, so
// calling it earlier, before worker threads start, only moves the cost.
void ensure_curl_global_init();

// The outcome of one transfer: curl's result code (CURLE_OK even for HTTP 4xx/5xx), or an Error
// when the transfer never finished (the CurlMulti was destroyed first, or libcurl failed).
using TransferDone = Callback<void(Result<CURLcode>)>;

class CurlMulti {
  public:
    // Loop thread only, for the whole life of the object (the base is lock-free).
    explicit CurlMulti(EventLoop& loop);
    // Removes every transfer still in flight. When destroyed on the loop thread, each of their
    // completions runs later through loop.defer with Unavailable "client closed"; elsewhere (the
    // loop is not running) they are destroyed unrun. Never calls back into this object.
    ~CurlMulti();
    CurlMulti(const CurlMulti&) = delete;
    CurlMulti& operator=(const CurlMulti&) = delete;

    // Starts `easy` (fully configured, not in any multi). `done` runs exactly once, on the loop
    // thread, from a deferred task and never inside this call; `easy` is already out of the
    // multi by then. The caller keeps `easy` (and whatever its options point at) alive until
    // `done` runs: usually `done`'s captures own it. CURLOPT_PRIVATE and CURLOPT_NOSIGNAL of
    // `easy` are set here.
    void add(CURL* easy, TransferDone done);

    size_t in_flight() const { return transfers_.size(); }

  private:
    struct Transfer;     // one easy handle and its completion
    struct SocketWatch;  // one libevent event for one socket libcurl asked us to watch

    static int on_curl_socket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
    static int on_curl_timer(CURLM* multi, long timeout_ms, void* userp);
    static void on_socket_event(int fd, short events, void* arg);
    void on_timer_fired();
    void watch_socket(curl_socket_t fd, int what, SocketWatch* watch);
    void socket_action(curl_socket_t fd, int select_flags);
    void drain_completions();
    // Takes every transfer out of the multi and completes it with `error` through defer.
    void fail_all(const Error& error);

    EventLoop& loop_;
    CURLM* multi_ = nullptr;
    Timer timer_;       // the one timeout libcurl asked for
    DeferEvent drain_;  // drain_completions on a later iteration; dies (cancelled) with this
    std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
    std::unordered_map<curl_socket_t, std::unique_ptr<SocketWatch>> sockets_;
};

}  // namespace spoke
