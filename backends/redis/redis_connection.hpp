#pragma once
// RedisConnection: one hiredis 0.14 async context on one loop. It connects to a numeric address,
// sends AUTH and SELECT, then runs commands in order, each with a deadline (hiredis 0.14 has no
// timeouts of its own). Any failure (connect error, a missed deadline, the server gone) ends the
// whole connection: replies are matched to commands by order, so after one is missed no later
// reply can be trusted. Single use: the owner makes a new one to reconnect.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "backends/redis/redis_reply.hpp"
#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

struct redisAsyncContext;

namespace spoke {

class EventLoop;

using RedisCompletion = Callback<void(Result<RedisReply>)>;

// What the owner hears from its connection. Both run from the loop, never inside a call into the
// connection or inside hiredis, so the owner may destroy the connection in either.
class RedisConnectionOwner {
  public:
    virtual ~RedisConnectionOwner() = default;
    virtual void on_redis_ready() = 0;
    // Once per connection, after which it does nothing; `reason` is short and has no secrets.
    virtual void on_redis_lost(const std::string& reason) = 0;
    // A Pub/Sub message or subscription confirmation (subscribe()); runs inside hiredis' read
    // handler, so it must not destroy the connection (defer that).
    virtual void on_redis_push(const RedisReply& reply) { (void)reply; }
};

class RedisConnection {
  public:
    RedisConnection(EventLoop& loop, RedisConnectionOwner& owner,
                    std::chrono::milliseconds timeout);
    // Fails what is pending (deferred, Unavailable) and frees the context; no owner call follows.
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Starts connecting; the whole handshake shares one deadline.
    void open(const std::string& ip, uint16_t port, const std::string& password, unsigned db);
    // Sends one command (argv form, binary safe). `done` runs later on the loop exactly once:
    // with the reply (an error reply is a value, not a failure) or Unavailable when the
    // connection is not ready, misses the deadline or is lost.
    void command(std::vector<std::string> args, RedisCompletion done);
    // SUBSCRIBE: confirmations and messages go to the owner's on_redis_push.
    void subscribe(std::vector<std::string> channels);
    bool ready() const { return state_ == State::Ready; }
    size_t pending() const { return pending_.size(); }
    const std::string& address() const { return address_; }

  private:
    enum class State { Idle, Connecting, Handshake, Ready, Closed };
    struct Pending {
        RedisCompletion done;
        int64_t deadline_ms;
    };

    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_push(redisAsyncContext* ac, void* reply, void* privdata);

    void send(const std::vector<std::string>& args, RedisCompletion done, bool subscribe = false);
    void handshake();
    void arm_deadline();
    void on_deadline();
    // The one way a connection ends. `free_context`: we free it (deadline, destructor); false
    // when hiredis is about to free it itself (its connect and disconnect callbacks).
    void close(const std::string& reason, bool free_context);

    EventLoop& loop_;
    RedisConnectionOwner& owner_;
    const std::chrono::milliseconds timeout_;
    State state_ = State::Idle;
    redisAsyncContext* ac_ = nullptr;  // null once closed or freed by hiredis
    std::string address_;              // "ip:port", for logs
    std::string password_;
    unsigned db_ = 0;
    int64_t connect_deadline_ms_ = 0;  // Connecting
    std::deque<Pending> pending_;      // sent, reply not yet read; oldest first
    bool notify_owner_ = true;         // false once the destructor runs
    Timer deadline_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
