#pragma once
// SentinelWatcher: listens on a sentinel for `+switch-master` of our master, so every connection
// moves to the promoted server at once, even those whose old master is still up and answering
// (a manual SENTINEL FAILOVER demotes it to a replica, which still serves reads and PUBLISH).
// Connections also find the new master on their own after any disconnect and on a READONLY reply;
// this is the fast path. One per instance, on the control loop.

#include <string>

#include "backends/redis/redis_client.hpp"
#include "reactor/callback.hpp"

namespace spoke {

class SentinelWatcher final : public RedisClientListener {
  public:
    // `switched` runs on this loop for each +switch-master of the configured master.
    SentinelWatcher(EventLoop& loop, HostResolver& resolver, RedisShared& shared,
                    Callback<void(const std::string&)> switched);
    void start() { client_.start(); }

    void on_master_ready(RedisConnection& connection) override;
    void on_master_lost() override {}
    void on_push(const RedisReply& reply) override;

  private:
    EventLoop& loop_;
    const std::string master_name_;
    Callback<void(const std::string&)> switched_;
    RedisClient client_;  // connected to a sentinel, not to the master
    Lifetime lifetime_;   // last: ends first
};

}  // namespace spoke
