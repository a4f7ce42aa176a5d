#pragma once
// WorkAdmission: a bound on one kind of worker-pool work (compile, lint, compatibility, ...)
// admitted and not yet finished, so a burst is refused at the door (503 with Retry-After) instead
// of queueing without end behind the pool. Process-wide, thread-safe.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace spoke {

class WorkAdmission {
  public:
    // Held while one admitted job is queued or running; releases its place when destroyed.
    class Slot {
      public:
        Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
        Slot& operator=(Slot&&) = delete;
        Slot(const Slot&) = delete;
        ~Slot() {
            if (owner_ != nullptr) owner_->in_flight_.fetch_sub(1, std::memory_order_acq_rel);
        }

      private:
        friend class WorkAdmission;
        explicit Slot(WorkAdmission* owner) : owner_(owner) {}
        WorkAdmission* owner_;
    };

    WorkAdmission(std::string kind, size_t capacity)
        : kind_(std::move(kind)), capacity_(capacity) {}
    WorkAdmission(const WorkAdmission&) = delete;
    WorkAdmission& operator=(const WorkAdmission&) = delete;

    // A slot, or nullopt (counted as a rejection) when `capacity` jobs are in flight.
    std::optional<Slot> try_admit() {
        size_t now = in_flight_.load(std::memory_order_relaxed);
        do {
            if (now >= capacity_) {
                rejected_.fetch_add(1, std::memory_order_relaxed);
                return std::nullopt;
            }
        } while (!in_flight_.compare_exchange_weak(now, now + 1, std::memory_order_acq_rel));
        return Slot(this);
    }

    const std::string& kind() const { return kind_; }
    size_t capacity() const { return capacity_; }
    size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
    uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
    // Jobs skipped on the worker because nobody waited for their result any more.
    uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
    void count_skipped() { skipped_.fetch_add(1, std::memory_order_relaxed); }

  private:
    const std::string kind_;
    const size_t capacity_;
    std::atomic<size_t> in_flight_{0};
    std::atomic<uint64_t> rejected_{0};
    std::atomic<uint64_t> skipped_{0};
};

}  // namespace spoke
