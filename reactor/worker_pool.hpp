#pragma once
// WorkerPool: threads with large stacks for CPU-heavy or blocking work (proto compiling, file I/O).

#include <pthread.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

class WorkerPool {
  public:
    // libprotobuf 3.21 recurses deeply while parsing: workers get `stack_bytes` of stack (64 MiB
    // default).
    explicit WorkerPool(unsigned threads, size_t stack_bytes = 64u << 20);
    ~WorkerPool();  // runs the queued jobs, then joins
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Any thread: run `job` on a worker. Work that can fail and reports back to a loop goes
    // through run_guarded / run_admitted (reactor/guarded_work.hpp) instead.
    void submit(Task job);

    size_t queued() const;
    unsigned size() const { return static_cast<unsigned>(threads_.size()); }

  private:
    static void* thread_main(void* arg);
    void work_loop();

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Task> jobs_;  // guarded by mutex_
    bool stopping_ = false;  // guarded by mutex_
    std::vector<pthread_t> threads_;
};

}  // namespace spoke
