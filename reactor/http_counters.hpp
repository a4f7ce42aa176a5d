#pragma once
// ConnectionBudget: the per-process cap on open connections, shared by the loops of one listener.
// HttpCounters: what the HTTP layer refused, timed out or lost, for /metrics.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace spoke {

class ConnectionBudget {
  public:
    explicit ConnectionBudget(size_t cap) : cap_(cap) {}
    // Any thread. False when the cap is reached (the caller closes the new connection).
    bool try_acquire() {
        size_t open = open_.load(std::memory_order_relaxed);
        do {
            if (open >= cap_) return false;
        } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
        return true;
    }
    void release() { open_.fetch_sub(1, std::memory_order_relaxed); }
    size_t open() const { return open_.load(std::memory_order_relaxed); }
    size_t cap() const { return cap_; }

  private:
    const size_t cap_;
    std::atomic<size_t> open_{0};
};

// Why a connection was cut by a deadline.
enum class HttpTimeout : uint8_t { Header, Body, Idle, Write };
inline constexpr size_t kHttpTimeoutKinds = 4;
inline constexpr std::array<const char*, kHttpTimeoutKinds> kHttpTimeoutNames = {"header", "body",
                                                                                 "idle", "write"};

// Why a new connection was closed at once.
enum class HttpRejection : uint8_t { ConnectionLimit, Descriptors };
inline constexpr size_t kHttpRejectionKinds = 2;
inline constexpr std::array<const char*, kHttpRejectionKinds> kHttpRejectionNames = {
    "connection_limit", "descriptors"};

struct HttpCounters {
    std::array<std::atomic<uint64_t>, kHttpRejectionKinds> rejected{};
    std::array<std::atomic<uint64_t>, kHttpTimeoutKinds> timeouts{};
    std::atomic<uint64_t> client_gone{0};      // left while its request was being handled
    std::atomic<uint64_t> protocol_errors{0};  // requests refused by the HTTP layer (4xx/5xx)
    std::atomic<uint64_t> accepted{0};

    void reject(HttpRejection r) {
        rejected[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    }
    void timeout(HttpTimeout t) {
        timeouts[static_cast<size_t>(t)].fetch_add(1, std::memory_order_relaxed);
    }
};

}  // namespace spoke

namespace spoke {

// What the servers of one listener (the API loops) share: their connection cap and counters.
struct HttpSharedState {
    explicit HttpSharedState(size_t max_connections) : budget(max_connections) {}
    ConnectionBudget budget;
    HttpCounters counters;
    // Every accept of the listener's loops, and each loop's use of its reserve descriptor, hold
    // this: the slot a loop frees to accept on its reserve can then never be taken by another
    // loop's accept (which left that loop without a reserve, its backlog stuck, at EMFILE).
    std::mutex accept_mutex;
};

}  // namespace spoke
