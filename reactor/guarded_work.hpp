#pragma once
// The one boundary between a loop and the worker pool for work that can fail:
//  - run_guarded: `work` on a worker, `done(result)` back on `loop`; an exception thrown by
//    `work` (libprotobuf may throw bad_alloc) becomes an Internal error and a log line, never a
//    crash or a half-finished completion.
//  - run_admitted: the same behind a WorkAdmission (Unavailable when it is full, answered through
//    `loop` on a later iteration, never inline), and skipped on the worker when `wanted` has
//    ended by the time a worker picks it up (the request was already answered: deadline, client
//    gone), so a queue of abandoned compiles never runs.

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/log.hpp"
#include "reactor/trace_scope.hpp"
#include "reactor/work_admission.hpp"
#include "reactor/worker_pool.hpp"

namespace spoke {

// `work()` with any exception it throws turned into an Internal error and a log line: for library
// code that may throw (libprotobuf's bad_alloc, filesystem_error), on a worker or on a loop.
template <class T, class F>
Result<T> call_guarded(std::string_view what, F&& work) {
    try {
        return work();
    } catch (const std::exception& e) {
        Log::write(LogLevel::Error, "job threw", {{"job", what}, {"error", e.what()}});
        return Error::internal(std::string(what) + " failed: " + e.what());
    } catch (...) {
        Log::write(LogLevel::Error, "job threw", {{"job", what}});
        return Error::internal(std::string(what) + " failed");
    }
}

// A job's place in its request's trace: the context it was submitted in, and a span named after
// the work ("compile", ...) around it on the worker, with the time it waited in the queue.
struct TracedJob {
    std::optional<TraceContext> parent;
    int64_t submitted_ns = 0;

    static TracedJob submitted() {
        TracedJob job{TraceScope::capture(), 0};
        if (job.parent) job.submitted_ns = wall_ns();
        return job;
    }
    template <class T, class F>
    Result<T> run(std::string_view what, F& work) {
        ChildSpan span = ChildSpan::start_in(parent, what, Span::Kind::Internal);
        if (span.active()) span.set("spoke.job.queued_us", (wall_ns() - submitted_ns) / 1000);
        Result<T> result = call_guarded<T>(what, work);
        span.finish(!result.ok());
        return result;
    }
};

// `what` names the work in errors and logs ("compile", "lint", ...); a string literal.
template <class T>
void run_guarded(WorkerPool& pool, EventLoop& loop, std::string_view what,
                 Callback<Result<T>()> work, Callback<void(Result<T>)> done) {
    pool.submit([&loop, what, work = std::move(work), done = std::move(done),
                 job = TracedJob::submitted()]() mutable {
        TraceScope scope(job.parent);
        Result<T> result = job.run<T>(what, work);
        loop.post([done = std::move(done), result = std::move(result)]() mutable {
            done(std::move(result));
        });
    });
}

template <class T>
void run_admitted(WorkerPool& pool, EventLoop& loop, WorkAdmission& admission, LifetimeGuard wanted,
                  std::string_view what, Callback<Result<T>()> work,
                  Callback<void(Result<T>)> done) {
    std::optional<WorkAdmission::Slot> slot = admission.try_admit();
    if (!slot) {
        Error busy = Error::unavailable(admission.kind() + " work is at capacity (" +
                                        std::to_string(admission.capacity()) +
                                        " jobs in flight); retry later");
        loop.defer(
            [done = std::move(done), busy = std::move(busy)]() mutable { done(std::move(busy)); });
        return;
    }
    pool.submit([&loop, &admission, slot = std::move(*slot), wanted = std::move(wanted), what,
                 work = std::move(work), done = std::move(done),
                 job = TracedJob::submitted()]() mutable {
        TraceScope scope(job.parent);
        std::optional<Result<T>> result;
        if (!wanted.alive()) {
            admission.count_skipped();
            result.emplace(Error::unavailable(std::string(what) +
                                              " skipped: its request was already answered"));
        } else {
            result.emplace(job.run<T>(what, work));
        }
        {
            // The place is free once the work is done, before the completion is posted.
            WorkAdmission::Slot finished = std::move(slot);
        }
        loop.post([done = std::move(done), result = std::move(*result)]() mutable {
            done(std::move(result));
        });
    });
}

}  // namespace spoke
