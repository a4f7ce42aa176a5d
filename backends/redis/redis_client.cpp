#include "backends/redis/redis_client.hpp"

#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/host_resolver.hpp"
#include "reactor/log.hpp"
#include "reactor/trace_scope.hpp"

namespace spoke {

namespace {

// Reconnects start fast (a restarted Redis or a promoted replica is back within seconds) and
// back off to a few seconds against one that stays down, with full jitter so the loops of every
// instance do not reconnect in step.
BackoffPolicy reconnect_policy() {
    BackoffPolicy p;
    p.base_ms = 50;
    p.cap_ms = 3'000;
    p.max_attempts = 1 << 30;
    return p;
}

}  // namespace

RedisClient::RedisClient(EventLoop& loop, HostResolver& resolver, RedisShared& shared,
                         RedisClientListener* listener, RedisPeer peer)
    : loop_(loop),
      resolver_(resolver),
      shared_(shared),
      listener_(listener),
      peer_(peer),
      backoff_(reconnect_policy()),
      retry_(loop, [this] { attempt(); }) {}

RedisClient::~RedisClient() {
    if (state_ == State::Ready && peer_ == RedisPeer::Master) shared_.connection_down("closed");
}

void RedisClient::start() {
    if (state_ == State::Idle) attempt();
}

void RedisClient::attempt() {
    connection_.reset();
    const RedisTarget& target = shared_.settings().target;
    if (peer_ == RedisPeer::Sentinel) {
        state_ = State::Connect;
        const RedisAddress& s = target.addresses[sentinel_index_ % target.addresses.size()];
        connect_to(s.host, s.port, true);
    } else if (target.sentinel()) {
        state_ = State::AskSentinel;
        const RedisAddress& s = target.addresses[sentinel_index_ % target.addresses.size()];
        connect_to(s.host, s.port, true);
    } else {
        state_ = State::Connect;
        connect_to(target.addresses.front().host, target.addresses.front().port, false);
    }
}

void RedisClient::connect_to(const std::string& host, uint16_t port, bool sentinel) {
    // Resolved again on every attempt: a name may now point at a promoted server.
    const State expected = state_;
    resolver_.resolve(host, lifetime_.bind([this, port, sentinel,
                                            expected](Result<std::vector<std::string>> addresses) {
        if (state_ != expected) return;
        if (!addresses) return fail(addresses.error().message);
        // One address per attempt, the next one after a failure (IPv4 first).
        const std::string& ip = (*addresses)[static_cast<size_t>(failures_) % addresses->size()];
        const RedisTarget& target = shared_.settings().target;
        connection_ = std::make_unique<RedisConnection>(loop_, *this, shared_.settings().timeout);
        // Sentinels keep their own (usually no) password; AUTH and SELECT are the master's.
        connection_->open(ip, port, sentinel ? std::string() : target.password,
                          sentinel ? 0 : target.db);
    }));
}

void RedisClient::on_redis_ready() {
    const RedisTarget& target = shared_.settings().target;
    switch (state_) {
        case State::AskSentinel:
            connection_->command({"SENTINEL", "get-master-addr-by-name", target.master_name},
                                 lifetime_.bind([this](Result<RedisReply> r) {
                                     if (state_ == State::AskSentinel)
                                         on_master_address(std::move(r));
                                 }));
            break;
        case State::Connect:
            if (target.sentinel() && peer_ == RedisPeer::Master) {
                state_ = State::CheckRole;
                connection_->command({"ROLE"}, lifetime_.bind([this](Result<RedisReply> r) {
                    if (state_ == State::CheckRole) on_role(std::move(r));
                }));
            } else {
                enter_ready();
            }
            break;
        default:
            break;
    }
}

void RedisClient::on_master_address(Result<RedisReply> reply) {
    if (!reply || reply->type != RedisReply::Type::Array || reply->elements.size() != 2) {
        return fail(reply ? "sentinel does not know master '" +
                                shared_.settings().target.master_name + "'"
                          : reply.error().message);
    }
    const std::string host = reply->elements[0].str;
    const int port = std::atoi(reply->elements[1].str.c_str());
    if (host.empty() || port <= 0 || port > 65535)
        return fail("sentinel gave a bad master address");
    state_ = State::Connect;
    connection_.reset();
    connect_to(host, static_cast<uint16_t>(port), false);
}

void RedisClient::on_role(Result<RedisReply> reply) {
    // During a failover a sentinel may still name the old master, now a replica: try again.
    if (!reply || reply->type != RedisReply::Type::Array || reply->elements.empty() ||
        reply->elements[0].str != "master") {
        return fail(reply ? "the server the sentinels named is not a master (yet)"
                          : reply.error().message);
    }
    enter_ready();
}

void RedisClient::enter_ready() {
    state_ = State::Ready;
    failures_ = 0;
    sentinels_tried_ = 0;
    master_address_ = connection_->address();
    if (peer_ == RedisPeer::Master) shared_.connection_up(master_address_);
    if (listener_ != nullptr) listener_->on_master_ready(*connection_);
}

void RedisClient::on_redis_lost(const std::string& reason) {
    if (state_ == State::Ready) {
        if (peer_ == RedisPeer::Master) shared_.connection_down(reason);
        if (listener_ != nullptr) listener_->on_master_lost();
        // A master that was fine a moment ago: reconnect at once (the first retry has no wait).
        failures_ = 0;
        state_ = State::Backoff;
        connection_.reset();
        retry_.arm(std::chrono::milliseconds(0));
        return;
    }
    fail(reason);
}

void RedisClient::on_redis_push(const RedisReply& reply) {
    if (listener_ != nullptr) listener_->on_push(reply);
}

void RedisClient::fail(const std::string& reason) {
    shared_.connect_failed();
    Log::write(
        LogLevel::Debug, "redis connect attempt failed",
        {{"reason", std::string_view(reason)}, {"loop", static_cast<int64_t>(loop_.index())}});
    const RedisTarget& target = shared_.settings().target;
    state_ = State::Backoff;
    // The connection may be the caller of this (a completion it runs): free it later.
    if (connection_) loop_.defer([dead = std::move(connection_)] {});
    if ((target.sentinel() || peer_ == RedisPeer::Sentinel) &&
        ++sentinels_tried_ < target.addresses.size()) {
        ++sentinel_index_;
        retry_.arm(std::chrono::milliseconds(0));
        return;
    }
    sentinels_tried_ = 0;
    ++sentinel_index_;
    retry_.arm(std::chrono::milliseconds(*backoff_.next_delay_ms(++failures_)));
}

void RedisClient::rediscover(const std::string& reason) {
    if (state_ != State::Ready) return;
    // Debug: every loop does this at once; the process-wide lines say what changed.
    Log::write(LogLevel::Debug, "redis: finding the master again",
               {{"reason", std::string_view(reason)}});
    if (peer_ == RedisPeer::Master) shared_.connection_down(reason);
    if (listener_ != nullptr) listener_->on_master_lost();
    state_ = State::Backoff;
    loop_.defer([dead = std::move(connection_)] {});
    retry_.arm(std::chrono::milliseconds(0));
}

void RedisClient::command(std::vector<std::string> args, RedisCompletion done) {
    if (state_ != State::Ready) {
        shared_.record_rejected();
        loop_.defer([done = std::move(done)]() mutable {
            done(Error::unavailable("redis: not connected"));
        });
        return;
    }
    // Named by the command only: keys and values may carry what a trace must not (token digests).
    ChildSpan span = ChildSpan::start(args.empty() ? "redis" : args.front(), Span::Kind::Client);
    if (span.active()) {
        span.set("db.system.name", "redis");
        if (!args.empty()) span.set("db.operation.name", args.front());
        done = continue_in(std::move(span), std::move(done),
                           [](ChildSpan& sp, const Result<RedisReply>& r) {
                               if (r.ok() && !r->is_error()) return false;
                               sp.set("error.message", r.ok() ? r->str : r.error().message);
                               return true;
                           });
    }
    const int64_t started = monotonic_us();
    connection_->command(std::move(args),
                         [this, guard = lifetime_.guard(), started,
                          done = std::move(done)](Result<RedisReply> reply) mutable {
                             if (guard.alive()) {
                                 shared_.record_command(monotonic_us() - started, reply.ok());
                                 // A demoted master answers writes with READONLY: the sentinels
                                 // know the new one.
                                 if (reply && reply->is_error("READONLY"))
                                     rediscover("the master became a replica");
                             }
                             done(std::move(reply));
                         });
}

}  // namespace spoke
