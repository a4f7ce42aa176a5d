#pragma once
// ReplicaMonitor: reads each replica's replay position and lag on a connection of its own, and
// says which replicas may serve reads (up, within the lag bound, past the write fence).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "backends/postgres/pg_endpoint.hpp"
#include "backends/postgres/pg_pool_options.hpp"
#include "backends/postgres/write_fence.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

// Loop thread only. Replicas are numbered as in PgPoolOptions::replica_conninfos. Probe
// completions are guarded by its Lifetime: after stop() (or destruction) they touch nothing.
class ReplicaMonitor {
  public:
    // `replicas`, `options` and `fence` outlive the monitor.
    ReplicaMonitor(EventLoop& loop, std::vector<PgEndpoint*> replicas, const PgPoolOptions& options,
                   WriteFence& fence);
    ReplicaMonitor(const ReplicaMonitor&) = delete;
    ReplicaMonitor& operator=(const ReplicaMonitor&) = delete;

    size_t size() const { return probes_.size(); }
    // Probes every replica now and every replica_probe_interval_ms.
    void start();
    void stop();

    // Up (last probe succeeded and no read failed since), within replica_max_lag_ms, replayed
    // past the write fence, and its breaker not Open.
    bool eligible(size_t replica);
    // Whether every replica a Read could be routed to now has replayed WAL `position` (as far
    // as its last probe says: a probe can only understate a replica's position).
    bool replayed(uint64_t position);
    // A read on this replica lost its connection or timed out: skipped until its next probe.
    void mark_lost(size_t replica, std::string_view why);
    int64_t lag_ms(size_t replica) const { return probes_[replica].lag_ms; }
    uint64_t replay_lsn(size_t replica) const { return probes_[replica].replay_lsn; }

  private:
    // One replica's probe connection and what it last said. The lag probe runs on a connection
    // of its own, so a busy pool never starves it.
    struct Probe {
        PgEndpoint* endpoint;
        std::unique_ptr<PgConnection> conn;
        bool pending = false;
        bool ok = false;
        int64_t lag_ms = -1;      // last measured replay lag; -1 unknown
        uint64_t replay_lsn = 0;  // last measured replay position
    };

    void probe_all();
    void probe(Probe& p);
    void run_probe(Probe& p);
    void on_probe_result(Probe& p, const PgQueryResult& r);

    EventLoop& loop_;
    const PgPoolOptions& options_;
    WriteFence& fence_;
    std::vector<Probe> probes_;  // sized once by the constructor: completions hold Probe&
    Timer timer_;
    Lifetime lifetime_;  // last: ends before the probe connections are destroyed
};

}  // namespace spoke
