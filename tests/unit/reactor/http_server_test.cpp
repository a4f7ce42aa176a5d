#include "reactor/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "reactor/event_loop.hpp"
#include "reactor/http_exchange.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/listener.hpp"
#include "reactor/router.hpp"
#include "tests/support/loop_thread.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::LoopThread;

// What a blocking HTTP/1.1 client read back; status 0 when the exchange failed.
struct ClientResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::chrono::milliseconds elapsed{0};
    // The header's value, or "" when it was not sent (`name` in lower case).
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// One request on a fresh connection ("Connection: close"), read until the server closes it.
ClientResponse http_get(int port, const std::string& path) {
    ClientResponse out;
    const auto started = std::chrono::steady_clock::now();
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return out;
    timeval timeout{10, 0};  // a server that never answers fails the test instead of hanging it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    std::string raw;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request =
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            char buf[4096];
            for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, n);
        }
    }
    ::close(fd);
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);

    const size_t head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return out;
    out.status = std::stoi(raw.substr(9, 3));
    size_t line = raw.find("\r\n") + 2;
    while (line < head_end) {
        const size_t eol = raw.find("\r\n", line);
        const std::string h = raw.substr(line, eol - line);
        const size_t colon = h.find(':');
        if (colon != std::string::npos) {
            std::string name = h.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out.headers[name] = h.substr(h.find_first_not_of(' ', colon + 1));
        }
        line = eol + 2;
    }
    out.body = raw.substr(head_end + 4);
    return out;
}

// Polls `done` from the test thread (it must read only atomics or thread-safe state).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

// A real HttpServer on a loopback port, run by its own loop thread. Handlers run on that thread;
// the test reaches the server's state only through on_loop() (or inflight(), which is atomic).
class HttpServerTest : public ::testing::Test {
  protected:
    void start(std::chrono::milliseconds deadline = 10s) {
        const RouteHandler reply_404 = [](HttpExchange& ex, const RouteParams&) {
            ex.reply(404, "text/plain", "no route");
        };
        router_.set_fallbacks(reply_404, reply_404, reply_404);
        HttpServerOptions options;
        options.request_deadline = deadline;
        server_ = std::make_unique<HttpServer>(loop_, router_, options, nullptr);
        auto fd = listen_tcp("127.0.0.1", 0, false);
        ASSERT_TRUE(fd.ok());
        sockaddr_in addr{};
        socklen_t len = sizeof addr;
        ASSERT_EQ(::getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
        port_ = ntohs(addr.sin_port);
        ASSERT_TRUE(server_->accept_on(*fd));
        thread_ = std::make_unique<LoopThread>(loop_);
    }

    void TearDown() override {
        thread_.reset();  // the loop stops first: the server is then only ours
        server_.reset();
    }

    // Runs `fn` on the loop thread and waits for it.
    void on_loop(std::function<void()> fn) {
        std::promise<void> ran;
        loop_.post([&] {
            fn();
            ran.set_value();
        });
        ASSERT_EQ(ran.get_future().wait_for(10s), std::future_status::ready);
    }

    std::future<ClientResponse> get_async(const std::string& path) {
        return std::async(std::launch::async,
                          [port = port_, path] { return http_get(port, path); });
    }

    EventLoop loop_{0};
    Router router_;
    std::unique_ptr<HttpServer> server_;
    std::unique_ptr<LoopThread> thread_;
    int port_ = 0;
};

TEST_F(HttpServerTest, RepliesAndFreesTheExchange) {
    router_.add(HttpMethod::Get, "/now", [](HttpExchange& ex, const RouteParams&) {
        ex.add_header("X-Test", "yes");
        ex.reply(200, "text/plain", "hello");
    });
    start();
    const ClientResponse r = http_get(port_, "/now");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.header("x-test"), "yes");
    EXPECT_EQ(r.header("content-type"), "text/plain");
    EXPECT_EQ(r.header("x-request-id").size(), 20u);
    EXPECT_TRUE(eventually([&] { return server_->inflight() == 0; }));
    EXPECT_EQ(http_get(port_, "/missing").status, 404);
}

TEST_F(HttpServerTest, DeadlineAnswers503WithRetryAfterAndJson) {
    std::atomic<int> handled{0};
    router_.add(HttpMethod::Get, "/never", [&](HttpExchange&, const RouteParams&) { ++handled; });
    start(200ms);
    const ClientResponse r = http_get(port_, "/never");
    EXPECT_EQ(handled, 1);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("retry-after"), "1");
    EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(
        r.body,
        R"({"error":"the request did not complete before its deadline","code":"UNAVAILABLE"})");
    EXPECT_GE(r.elapsed, 190ms);  // not before the deadline
    EXPECT_TRUE(eventually([&] { return server_->inflight() == 0; }));
}

TEST_F(HttpServerTest, LateReplyThroughAHandleBeatsTheDeadline) {
    ExchangeHandle pending;  // loop thread only
    router_.add(HttpMethod::Get, "/later",
                [&](HttpExchange& ex, const RouteParams&) { pending = ex.handle(); });
    start(10s);
    auto response = get_async("/later");
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 1; }));
    on_loop([&] {
        HttpExchange* ex = pending.get();
        ASSERT_NE(ex, nullptr);
        EXPECT_EQ(ex->path(), "/later");
        ex->reply(200, "text/plain", "late");
        EXPECT_EQ(pending.get(), nullptr);  // replied: no longer handed out
    });
    const ClientResponse r = response.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "late");
    EXPECT_LT(r.elapsed, 5s);
}

TEST_F(HttpServerTest, HandleTakenBeforeTheReplyResolvesToNullAfterTheFree) {
    ExchangeHandle pending;  // loop thread only
    router_.add(HttpMethod::Get, "/slow",
                [&](HttpExchange& ex, const RouteParams&) { pending = ex.handle(); });
    start(200ms);
    auto response = get_async("/slow");
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 1; }));
    on_loop([&] { EXPECT_NE(pending.get(), nullptr); });
    EXPECT_EQ(response.get().status, 503);  // the deadline replied
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 0; }));
    // The exchange is gone: a completion arriving now must find nothing to touch (under ASan a
    // dangling pointer here would be a heap-use-after-free).
    on_loop([&] {
        EXPECT_EQ(pending.get(), nullptr);
        EXPECT_EQ(server_->find(1), nullptr);
    });
}

TEST_F(HttpServerTest, ExchangeIsFreedOnALaterIterationNotInsideReply) {
    struct Seen {
        size_t inflight_after_reply = 0;
        bool replied = false;
        std::string path;
        std::string request_id;
        size_t inflight_in_next_task = 99;
        bool handle_after_reply_is_null = false;
    };
    Seen seen;  // written on the loop thread, read after on_loop() synchronised with it
    router_.add(HttpMethod::Get, "/touch", [&](HttpExchange& ex, const RouteParams&) {
        ex.reply(200, "text/plain", "ok");
        // Everything below touches the exchange after reply(): it must still be alive (a free
        // inside reply() would make these reads a heap-use-after-free under ASan).
        seen.inflight_after_reply = server_->inflight();
        seen.replied = ex.replied();
        seen.path = ex.path();
        seen.request_id = ex.request_id();
        seen.handle_after_reply_is_null = ex.handle().get() == nullptr;
        ex.add_header("X-Too-Late", "ignored");               // ignored after the reply
        ex.reply(500, "text/plain", "second reply ignored");  // ignored (and logged)
        // Deferred after the server's own free task: runs once the exchange is gone.
        ex.loop().defer([&] { seen.inflight_in_next_task = server_->inflight(); });
    });
    start();
    const ClientResponse r = http_get(port_, "/touch");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok");
    EXPECT_EQ(r.headers.count("x-too-late"), 0u);
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 0; }));
    on_loop([&] {
        EXPECT_EQ(seen.inflight_after_reply, 1u);  // not freed inside reply()
        EXPECT_TRUE(seen.replied);
        EXPECT_EQ(seen.path, "/touch");
        EXPECT_EQ(seen.request_id, r.header("x-request-id"));
        EXPECT_TRUE(seen.handle_after_reply_is_null);
        EXPECT_EQ(seen.inflight_in_next_task, 0u);  // freed by then
    });
}

TEST_F(HttpServerTest, LifetimeGuardEndsWhenTheExchangeReplies) {
    ExchangeHandle pending;                   // loop thread only
    std::optional<LifetimeGuard> by_handler;  // loop thread only until the test reads it
    std::optional<LifetimeGuard> by_deadline;
    std::atomic<bool> alive_in_handler{false};
    router_.add(HttpMethod::Get, "/reply", [&](HttpExchange& ex, const RouteParams&) {
        by_handler = ex.lifetime_guard();
        alive_in_handler = by_handler->alive();
        pending = ex.handle();
    });
    router_.add(HttpMethod::Get, "/expire",
                [&](HttpExchange& ex, const RouteParams&) { by_deadline = ex.lifetime_guard(); });
    start(300ms);

    auto replied = get_async("/reply");
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 1; }));
    LifetimeGuard guard;
    on_loop([&] {  // after the handler: it runs in the same loop callback that counted it
        EXPECT_TRUE(alive_in_handler);
        ASSERT_TRUE(by_handler.has_value());
        guard = *by_handler;
        EXPECT_TRUE(guard.alive());
    });
    EXPECT_TRUE(guard.alive());  // any thread may ask
    on_loop([&] {
        ASSERT_NE(pending.get(), nullptr);
        pending.get()->reply(204, "", "");
        EXPECT_FALSE(guard.alive());  // ended by reply(), before the exchange is freed
        EXPECT_EQ(server_->inflight(), 1u);
    });
    EXPECT_FALSE(guard.alive());
    EXPECT_EQ(replied.get().status, 204);

    // The deadline's 503 is a reply too: work queued for the request is skipped from then on.
    EXPECT_EQ(http_get(port_, "/expire").status, 503);
    LifetimeGuard expired;
    on_loop([&] {
        ASSERT_TRUE(by_deadline.has_value());
        expired = *by_deadline;
    });
    EXPECT_FALSE(expired.alive());
}

TEST_F(HttpServerTest, InflightCountsAcceptedUntilFreed) {
    std::vector<ExchangeHandle> pending;  // loop thread only
    router_.add(HttpMethod::Get, "/hold",
                [&](HttpExchange& ex, const RouteParams&) { pending.push_back(ex.handle()); });
    start(10s);
    EXPECT_EQ(server_->inflight(), 0u);
    std::vector<std::future<ClientResponse>> responses;
    for (int i = 0; i < 3; ++i) responses.push_back(get_async("/hold"));
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 3; }));
    on_loop([&] {
        ASSERT_EQ(pending.size(), 3u);
        HttpExchange* first = pending[0].get();
        ASSERT_NE(first, nullptr);
        first->reply(200, "text/plain", "first");
        EXPECT_EQ(server_->inflight(), 3u);  // replied, not yet freed
    });
    ASSERT_TRUE(eventually([&] { return server_->inflight() == 2; }));
    on_loop([&] {
        for (size_t i = 1; i < pending.size(); ++i) {
            HttpExchange* ex = pending[i].get();
            ASSERT_NE(ex, nullptr);
            ex->reply(200, "text/plain", "rest");
        }
    });
    int ok = 0;
    for (auto& r : responses) ok += r.get().status == 200 ? 1 : 0;
    EXPECT_EQ(ok, 3);
    EXPECT_TRUE(eventually([&] { return server_->inflight() == 0; }));
}

}  // namespace
}  // namespace spoke
