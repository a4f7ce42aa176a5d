#pragma once
// The process's two clocks: monotonic for deadlines, wall for what users see.

#include <cstdint>

namespace spoke {

// Monotonic clock in milliseconds (CLOCK_MONOTONIC): for deadlines and heartbeats, never wall time.
int64_t monotonic_ms();
// Monotonic clock in microseconds: for stage timings that must tell 0.2 ms from 2 ms.
int64_t monotonic_us();
// Monotonic clock in nanoseconds at the kernel tick's resolution (CLOCK_MONOTONIC_COARSE, a few
// ms): cheap enough to stamp on every read and write, precise enough for connection deadlines.
int64_t monotonic_coarse_ns();
// Wall clock in milliseconds since the epoch: for timestamps shown to users.
int64_t wall_ms();
// Wall clock in nanoseconds since the epoch: for span times exported to a trace collector.
int64_t wall_ns();

}  // namespace spoke
