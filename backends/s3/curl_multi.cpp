#include "backends/s3/curl_multi.hpp"

#include <event2/event.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace spoke {

void ensure_curl_global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            std::fprintf(stderr, "fatal: curl_global_init failed\n");
            std::abort();
        }
    });
}

struct CurlMulti::Transfer {
    CURL* easy;
    TransferDone done;
};

// Owned by CurlMulti::sockets_; libcurl holds a raw pointer to it through curl_multi_assign.
struct CurlMulti::SocketWatch {
    CurlMulti* owner;
    curl_socket_t fd;
    event* ev = nullptr;
    ~SocketWatch() {
        if (ev != nullptr) event_free(ev);
    }
};

namespace {
CURLM* new_multi() {
    ensure_curl_global_init();
    CURLM* multi = curl_multi_init();
    if (multi == nullptr) {
        std::fprintf(stderr, "fatal: curl_multi_init failed\n");
        std::abort();
    }
    return multi;
}
}  // namespace

CurlMulti::CurlMulti(EventLoop& loop)
    : loop_(loop),
      multi_(new_multi()),
      timer_(loop, [this] { on_timer_fired(); }),
      drain_(loop, [this] { drain_completions(); }) {
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_curl_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_curl_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
    drain_.cancel();  // its member destruction would too; nothing is left to drain after this
    fail_all(Error::unavailable("client closed"));
    // May call on_curl_socket (CURL_POLL_REMOVE) and on_curl_timer: both only touch members,
    // which are all still alive here.
    curl_multi_cleanup(multi_);
    timer_.cancel();
    sockets_.clear();
}

void CurlMulti::add(CURL* easy, TransferDone done) {
    auto transfer = std::make_unique<Transfer>(Transfer{easy, std::move(done)});
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    transfers_.emplace(easy, std::move(transfer));
    // Calls on_curl_timer (to start at once), never the completion.
    CURLMcode rc = curl_multi_add_handle(multi_, easy);
    if (rc != CURLM_OK) {
        auto node = transfers_.extract(easy);
        loop_.defer([t = std::move(node.mapped()), rc]() mutable {
            t->done(
                Error::internal(std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)));
        });
    }
}

int CurlMulti::on_curl_socket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
    static_cast<CurlMulti*>(userp)->watch_socket(fd, what, static_cast<SocketWatch*>(socketp));
    return 0;
}

void CurlMulti::watch_socket(curl_socket_t fd, int what, SocketWatch* watch) {
    if (what == CURL_POLL_REMOVE) {
        // Freeing the event is safe even when we are inside its own callback: libevent copies
        // what it needs before calling out.
        curl_multi_assign(multi_, fd, nullptr);
        sockets_.erase(fd);
        return;
    }
    if (watch == nullptr) {
        auto owned = std::make_unique<SocketWatch>(SocketWatch{this, fd});
        watch = owned.get();
        sockets_[fd] = std::move(owned);
        curl_multi_assign(multi_, fd, watch);
    }
    short events = EV_PERSIST;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EV_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EV_WRITE;
    if (watch->ev == nullptr) {
        watch->ev = event_new(loop_.base(), fd, events, &CurlMulti::on_socket_event, watch);
    } else {
        event_del(watch->ev);
        event_assign(watch->ev, loop_.base(), fd, events, &CurlMulti::on_socket_event, watch);
    }
    event_add(watch->ev, nullptr);
}

int CurlMulti::on_curl_timer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<CurlMulti*>(userp);
    if (timeout_ms < 0) {
        self->timer_.cancel();
    } else {
        // Never act from inside this callback, even for 0 ms (libcurl recursion): arm at least
        // 1 ms so the timeout runs from the loop.
        self->timer_.arm(std::chrono::milliseconds(timeout_ms < 1 ? 1 : timeout_ms));
    }
    return 0;
}

void CurlMulti::on_socket_event(int fd, short events, void* arg) {
    auto* watch = static_cast<SocketWatch*>(arg);
    int flags = 0;
    if (events & EV_READ) flags |= CURL_CSELECT_IN;
    if (events & EV_WRITE) flags |= CURL_CSELECT_OUT;
    // `watch` may be freed inside socket_action (CURL_POLL_REMOVE); only the owner is used.
    watch->owner->socket_action(fd, flags);
}

void CurlMulti::on_timer_fired() {
    socket_action(CURL_SOCKET_TIMEOUT, 0);
}

void CurlMulti::socket_action(curl_socket_t fd, int select_flags) {
    int running = 0;
    CURLMcode rc = curl_multi_socket_action(multi_, fd, select_flags, &running);
    if (rc != CURLM_OK) {
        // The multi's transfers are in an undefined state after this: fail them all.
        fail_all(
            Error::internal(std::string("curl_multi_socket_action: ") + curl_multi_strerror(rc)));
        return;
    }
    drain_.schedule();  // coalesces: one drain per loop iteration however many actions ran
}

void CurlMulti::drain_completions() {
    std::vector<std::pair<std::unique_ptr<Transfer>, CURLcode>> finished;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL* easy = msg->easy_handle;
        CURLcode result = msg->data.result;  // msg is invalid after remove_handle
        curl_multi_remove_handle(multi_, easy);
        auto node = transfers_.extract(easy);
        if (!node.empty()) finished.emplace_back(std::move(node.mapped()), result);
    }
    // Completions may destroy this CurlMulti (and drain_, whose callback this is: DeferEvent
    // allows that); from here on only the locals are used.
    for (auto& [transfer, result] : finished) transfer->done(result);
}

void CurlMulti::fail_all(const Error& error) {
    std::vector<std::unique_ptr<Transfer>> failed;
    for (auto& [easy, transfer] : transfers_) {
        curl_multi_remove_handle(multi_, easy);
        failed.push_back(std::move(transfer));
    }
    transfers_.clear();
    if (!loop_.is_inside()) return;  // the loop is not running: nothing may run them; drop
    for (auto& transfer : failed) {
        loop_.defer([t = std::move(transfer), error]() mutable { t->done(error); });
    }
}

}  // namespace spoke
