#pragma once
// RedisClient: this loop's way to the Redis master. It finds the master (the configured server,
// or by asking the sentinels and checking ROLE), keeps one RedisConnection to it, and reconnects
// from a timer with jittered backoff after any loss, resolving host names again each time. While
// no connection is ready, commands fail at once (a cache miss for the caller) instead of waiting:
// Redis is never required for a request to succeed.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/redis/redis_connection.hpp"
#include "backends/redis/redis_shared.hpp"
#include "backends/resilience/retry_backoff.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

class EventLoop;
class HostResolver;

// Hooks of a client that does more than send commands (the invalidation subscriber).
class RedisClientListener {
  public:
    virtual ~RedisClientListener() = default;
    // A fresh connection to the master is ready (subscribe here).
    virtual void on_master_ready(RedisConnection& connection) = 0;
    // The connection to the master ended (it was ready before).
    virtual void on_master_lost() = 0;
    // Pub/Sub traffic of the connection (see RedisConnectionOwner::on_redis_push).
    virtual void on_push(const RedisReply& reply) = 0;
};

// What a client connects to: the master (found through the sentinels in Sentinel mode), or one
// of the sentinels themselves (SentinelWatcher listens there for failovers).
enum class RedisPeer { Master, Sentinel };

class RedisClient final : public RedisConnectionOwner {
  public:
    // Everything named outlives the client. `listener` may be null.
    RedisClient(EventLoop& loop, HostResolver& resolver, RedisShared& shared,
                RedisClientListener* listener = nullptr, RedisPeer peer = RedisPeer::Master);
    ~RedisClient() override;

    // Starts finding and connecting to the master.
    void start();
    // `done` runs later on the loop exactly once; Unavailable at once when no connection is ready
    // (nothing is queued for later), and on a timeout or lost connection.
    void command(std::vector<std::string> args, RedisCompletion done);
    bool ready() const { return state_ == State::Ready; }
    // Drops the connection and finds the master again (a READONLY reply, +switch-master).
    // Loop thread.
    void rediscover(const std::string& reason);
    // The sentinel addresses (for the subscriber that listens to them).
    const RedisShared& shared() const { return shared_; }

    void on_redis_ready() override;
    void on_redis_lost(const std::string& reason) override;
    void on_redis_push(const RedisReply& reply) override;

  private:
    // Backoff: waiting for the reconnect timer. AskSentinel: a connection to sentinel
    // `sentinel_index_` asks for the master. Connect: connecting to the master. CheckRole: ready
    // connection to the master, ROLE not yet confirmed (Sentinel only). Ready: commands flow.
    enum class State { Idle, Backoff, AskSentinel, Connect, CheckRole, Ready };

    void attempt();  // the start of every (re)connection
    void connect_to(const std::string& host, uint16_t port, bool sentinel);
    void on_master_address(Result<RedisReply> reply);
    void on_role(Result<RedisReply> reply);
    void fail(const std::string& reason);  // this attempt failed: next sentinel or back off
    void enter_ready();

    EventLoop& loop_;
    HostResolver& resolver_;
    RedisShared& shared_;
    RedisClientListener* listener_;
    const RedisPeer peer_;
    State state_ = State::Idle;
    std::unique_ptr<RedisConnection> connection_;
    std::string master_address_;  // "ip:port" of the ready master connection
    size_t sentinel_index_ = 0;   // the sentinel asked next
    size_t sentinels_tried_ = 0;  // in this round
    int failures_ = 0;            // consecutive failed attempts, for the backoff
    RetryBackoff backoff_;
    Timer retry_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
