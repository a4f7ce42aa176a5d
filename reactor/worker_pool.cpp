#include "reactor/worker_pool.hpp"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace spoke {

WorkerPool::WorkerPool(unsigned threads, size_t stack_bytes) {
    if (threads == 0) threads = 1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack_bytes);
    // Workers never handle signals: the control thread owns them.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < threads; ++i) {
        pthread_t t;
        int rc = pthread_create(&t, &attr, &WorkerPool::thread_main, this);
        if (rc != 0) {
            std::fprintf(stderr, "fatal: pthread_create: %s\n", std::strerror(rc));
            std::abort();
        }
        threads_.push_back(t);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&attr);
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (pthread_t t : threads_) pthread_join(t, nullptr);
}

void WorkerPool::submit(Task job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
}

size_t WorkerPool::queued() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void* WorkerPool::thread_main(void* arg) {
    static_cast<WorkerPool*>(arg)->work_loop();
    return nullptr;
}

void WorkerPool::work_loop() {
    for (;;) {
        Task job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping and drained
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace spoke
