// CurlMulti on a loop, against loopback ports that refuse connections (no server needed): every
// transfer completes exactly once, later, and never through a CurlMulti that is gone.

#include "backends/s3/curl_multi.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "reactor/timer.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/run_until.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::run_until;

struct EasyCleanup {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;

// What one transfer's completion saw.
struct Outcome {
    int calls = 0;
    bool transfer_finished = false;  // curl's own result (here: could not connect)
    std::string error;               // set when CurlMulti ended it ("client closed")
};

// A GET to `port`; its completion owns the easy handle and records into `out`, then runs `then`.
void start_get(CurlMulti& multi, int port, Outcome& out, Task then = {}) {
    ensure_curl_global_init();
    EasyHandle easy(curl_easy_init());
    ASSERT_NE(easy, nullptr);
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());  // libcurl copies the string
    curl_easy_setopt(easy.get(), CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    CURL* raw = easy.get();
    multi.add(raw,
              [easy = std::move(easy), &out, then = std::move(then)](Result<CURLcode> r) mutable {
                  ++out.calls;
                  if (r.ok()) {
                      out.transfer_finished = true;
                  } else {
                      out.error = r.error().message;
                  }
                  easy.reset();
                  if (then) then();
              });
}

TEST(CurlMultiTest, RefusedTransferCompletesOnceLaterNeverInsideAdd) {
    EventLoop loop(0);
    testing::LoopbackSocket refusing(/*listening=*/false);
    CurlMulti multi(loop);
    Outcome out;
    start_get(multi, refusing.port(), out);
    EXPECT_EQ(out.calls, 0);
    EXPECT_EQ(multi.in_flight(), 1u);
    ASSERT_TRUE(run_until(
        loop, [&] { return out.calls > 0; }, 5s));
    run_until(
        loop, [] { return false; }, 50ms);
    EXPECT_EQ(out.calls, 1);
    EXPECT_TRUE(out.transfer_finished) << out.error;
    EXPECT_EQ(multi.in_flight(), 0u);
}

// The first completion destroys the CurlMulti from inside its drain (the DeferEvent's own
// callback). The other transfer is either in the same drain (completed with curl's result) or
// still in flight (completed "client closed"); exactly once either way, and nothing touches the
// freed multi afterwards (AddressSanitizer would report it).
TEST(CurlMultiTest, CompletionMayDestroyTheMulti) {
    EventLoop loop(0);
    testing::LoopbackSocket refusing(/*listening=*/false);
    auto multi = std::make_unique<CurlMulti>(loop);
    Outcome first, second;
    bool destroyed = false;
    auto destroy = [&] {
        if (destroyed) return;
        destroyed = true;
        multi.reset();
    };
    start_get(*multi, refusing.port(), first, destroy);
    start_get(*multi, refusing.port(), second, destroy);
    ASSERT_TRUE(run_until(
        loop, [&] { return first.calls > 0 && second.calls > 0; }, 5s));
    run_until(
        loop, [] { return false; }, 50ms);
    EXPECT_TRUE(destroyed);
    EXPECT_EQ(first.calls, 1);
    EXPECT_EQ(second.calls, 1);
}

// A loopback listener whose connections the test accepts (non-blocking) and closes when it
// chooses: a server that hangs up without answering at a moment the test controls.
class HangingUpServer {
  public:
    HangingUpServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 4) != 0)
            ADD_FAILURE() << "cannot listen on loopback";
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~HangingUpServer() {
        hang_up();
        ::close(fd_);
    }
    int port() const { return port_; }
    bool accept_one() {
        if (conn_ < 0) conn_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        return conn_ >= 0;
    }
    void hang_up() {
        if (conn_ >= 0) ::close(conn_);
        conn_ = -1;
    }

  private:
    int fd_ = -1;
    int conn_ = -1;
    int port_ = 0;
};

// The transfer finishes (the server hangs up) in the same loop iteration in which a timer
// destroys the multi: libevent runs the socket event first (libcurl finishes the transfer and
// the multi schedules its drain) and the timer after it, before the drain. So the multi is
// destroyed with its drain scheduled: the drain must never run (it would read the freed multi, a
// heap-use-after-free under AddressSanitizer, were it a plain deferred task and not a DeferEvent
// that dies with its owner), and the finished transfer is completed once, "client closed".
TEST(CurlMultiTest, DestroyedWithItsDrainScheduledNeverDrains) {
    EventLoop loop(0);
    HangingUpServer server;
    auto multi = std::make_unique<CurlMulti>(loop);
    Outcome out;
    start_get(*multi, server.port(), out);
    ASSERT_TRUE(run_until(
        loop, [&] { return server.accept_one(); }, 5s));
    run_until(
        loop, [] { return false; }, 50ms);  // the request is sent; curl waits to read
    ASSERT_EQ(out.calls, 0);

    Timer destroy(loop, [&] { multi.reset(); });
    loop.defer([&] {
        server.hang_up();
        destroy.arm(0ms);
        loop.stall_for_test(20);  // the hang-up and the timer are both due when the loop looks
    });
    ASSERT_TRUE(run_until(
        loop, [&] { return out.calls > 0 && !multi; }, 5s));
    run_until(
        loop, [] { return false; }, 50ms);
    EXPECT_EQ(out.calls, 1);
    EXPECT_FALSE(out.transfer_finished);
    EXPECT_NE(out.error.find("client closed"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace spoke
