#pragma once
// Helpers for tests that drive the S3 backend on a loop thread against the harness's S3 server
// (tests/harness/services.sh run --with-s3): its settings from the environment, and calls made on
// the loop thread and awaited from the test thread.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "backends/s3/s3_client.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke::testing {

// Runs `fn` on the loop thread and waits for it to return.
inline void run_on_loop(EventLoop& loop, const std::function<void()>& fn) {
    std::promise<void> finished;
    loop.post([&] {
        fn();
        finished.set_value();
    });
    finished.get_future().wait();
}

// Where a completion ran, as recorded by await.
struct CompletionCheck {
    bool on_loop_thread = false;
    bool inside_call = false;
};

// Posts `start(done)` to the loop and waits (10 s at most) for `done`'s argument. Records whether
// the completion ran on the loop thread and whether it ran inside `start`.
template <class R, class Start>
R await(EventLoop& loop, Start start, CompletionCheck* check = nullptr) {
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    auto in_call = std::make_shared<bool>(false);
    loop.post([&loop, start = std::move(start), promise, in_call, check]() mutable {
        *in_call = true;
        start(Callback<void(R)>([&loop, promise, in_call, check](R r) {
            if (check) *check = {loop.is_inside(), *in_call};
            promise->set_value(std::move(r));
        }));
        *in_call = false;
    });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        ADD_FAILURE() << "no completion within 10 s";
        std::abort();  // the loop still holds references to this frame
    }
    return future.get();
}

inline std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// `n` bytes of xorshift32 noise from `state` (nonzero): binary content that is not all zeros.
inline std::string xorshift_bytes(size_t n, uint32_t state) {
    std::string bytes(n, '\0');
    uint32_t x = state;
    for (size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes[i] = static_cast<char>(x & 0xff);
    }
    return bytes;
}

// Fills `config` with the harness's S3 server (S3_* in the environment) and the tests' 5 s
// request timeout. A fatal failure if any S3_* is unset: the caller checks HasFatalFailure().
inline void s3_config_from_env(S3Config& config) {
    for (const char* name :
         {"S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_REGION"}) {
        if (env_or_empty(name).empty()) {
            FAIL() << name
                   << " is not set: run inside tests/harness/services.sh run --with-s3 -- "
                      "spoke_backing_tests";
        }
    }
    config.endpoint = env_or_empty("S3_ENDPOINT");
    config.bucket = env_or_empty("S3_BUCKET");
    config.access_key = env_or_empty("S3_ACCESS_KEY");
    config.secret_key = env_or_empty("S3_SECRET_KEY");
    config.region = env_or_empty("S3_REGION");
    config.timeout_ms = 5000;
}

}  // namespace spoke::testing
