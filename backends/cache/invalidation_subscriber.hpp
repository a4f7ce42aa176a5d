#pragma once
// InvalidationSubscriber: the instance's one subscription to the invalidation channel, on the
// control loop. It applies every message to the CoherentCache (and token changes to the token
// cache), tells the cache when the subscription starts or ends, and proves the subscription
// still delivers by publishing its own heartbeat through a second connection: a Redis that is
// paused (SIGSTOP) keeps TCP connections open and silent, which hiredis alone never notices.

#include <cstdint>
#include <string>

#include "backends/redis/redis_client.hpp"
#include "reactor/callback.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

class CoherentCache;
class HostResolver;

class InvalidationSubscriber final : public RedisClientListener {
  public:
    // `tokens_changed` runs on this loop when another instance revoked or changed a token.
    InvalidationSubscriber(EventLoop& loop, HostResolver& resolver, RedisShared& shared,
                           CoherentCache& cache, Callback<void()> tokens_changed);

    void start();
    // Both connections find the master again (a sentinel reported a new one).
    void rediscover(const std::string& reason) {
        subscriber_.rediscover(reason);
        publisher_.rediscover(reason);
    }

    // For /health/ready: whether the channel is known to deliver, and the last heartbeat's round
    // trip through Redis.
    struct Health {
        bool up = false;
        int64_t latency_ms = 0;
        std::string error;
    };
    Health health() const;

    void on_master_ready(RedisConnection& connection) override;
    void on_master_lost() override;
    void on_push(const RedisReply& reply) override;

  private:
    void beat();

    EventLoop& loop_;
    CoherentCache& cache_;
    Callback<void()> tokens_changed_;
    const std::string instance_;  // random; tells this instance's heartbeats from others'
    const int64_t beat_every_ms_;
    const int64_t silence_limit_ms_;  // no own heartbeat for this long: the channel is lost
    RedisClient subscriber_;
    RedisClient publisher_;
    bool subscribed_ = false;
    int64_t last_sent_ms_ = 0;
    int64_t last_heard_ms_ = 0;
    int64_t latency_ms_ = 0;
    std::string last_error_ = "not connected yet";
    Timer timer_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
