// CurlMulti on a loop, against loopback ports that refuse connections (no server needed): every
// transfer completes exactly once, later, and never through a CurlMulti that is gone.

#include "backends/s3/curl_multi.hpp"

#include <gtest/gtest.h>

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

// Destroys the multi from a timer that becomes due in the same loop iteration as libcurl's own
// timeout (the loop is stalled past both), for a range of delays: some rounds destroy it after a
// transfer finished inside socket_action but before the drain that would report it ran. That
// drain must then never run (it would read the freed multi: a heap-use-after-free under
// AddressSanitizer were the drain not cancelled with its owner); the transfer is completed
// "client closed" instead. Every round: exactly one completion.
TEST(CurlMultiTest, DestroyedBeforeItsScheduledDrainRunsNeverDrains) {
    EventLoop loop(0);
    testing::LoopbackSocket refusing(/*listening=*/false);
    for (int delay_ms = 0; delay_ms < 12; ++delay_ms) {
        auto multi = std::make_unique<CurlMulti>(loop);
        Outcome out;
        Timer destroy(loop, [&] { multi.reset(); });
        bool started = false;
        loop.defer([&] {
            start_get(*multi, refusing.port(), out);
            destroy.arm(std::chrono::milliseconds(delay_ms));
            loop.stall_for_test(20);  // both timers are due when the loop looks again
            started = true;
        });
        ASSERT_TRUE(run_until(
            loop, [&] { return started && out.calls > 0 && !multi; }, 5s))
            << "delay " << delay_ms;
        run_until(
            loop, [] { return false; }, 20ms);
        EXPECT_EQ(out.calls, 1) << "delay " << delay_ms;
        if (!out.transfer_finished) {
            EXPECT_NE(out.error.find("client closed"), std::string::npos) << out.error;
        }
    }
}

}  // namespace
}  // namespace spoke
