#include "backends/cache/invalidation_subscriber.hpp"

#include <random>

#include "backends/cache/coherent_cache.hpp"
#include "backends/cache/invalidation_channel.hpp"
#include "common/clock.hpp"
#include "common/hex.hpp"
#include "reactor/log.hpp"

namespace spoke {

namespace {

std::string random_instance_id() {
    std::random_device rd;
    std::string bytes(8, '\0');
    for (auto& c : bytes) c = static_cast<char>(rd());
    return lower_hex(bytes);
}

}  // namespace

InvalidationSubscriber::InvalidationSubscriber(EventLoop& loop, HostResolver& resolver,
                                               RedisShared& shared, CoherentCache& cache,
                                               Callback<void()> tokens_changed)
    : loop_(loop),
      cache_(cache),
      tokens_changed_(std::move(tokens_changed)),
      instance_(random_instance_id()),
      beat_every_ms_(250),
      silence_limit_ms_(2 * 250 + shared.settings().timeout.count()),
      subscriber_(loop, resolver, shared, this),
      publisher_(loop, resolver, shared),
      timer_(loop, [this] { beat(); }) {}

void InvalidationSubscriber::start() {
    subscriber_.start();
    publisher_.start();
    timer_.arm(std::chrono::milliseconds(beat_every_ms_));
}

void InvalidationSubscriber::on_master_ready(RedisConnection& connection) {
    connection.subscribe({std::string(kInvalidationChannel)});
}

void InvalidationSubscriber::on_master_lost() {
    if (subscribed_) {
        Log::write(LogLevel::Warn,
                   "invalidation channel lost; cached module reads now expire within "
                   "SPOKE_CACHE_STALE_BOUND");
    }
    subscribed_ = false;
    last_error_ = "not subscribed";
    cache_.channel_lost();
}

void InvalidationSubscriber::on_push(const RedisReply& reply) {
    if (reply.type != RedisReply::Type::Array || reply.elements.size() < 3) return;
    const std::string& kind = reply.elements[0].str;
    if (kind == "subscribe") {
        subscribed_ = true;
        last_heard_ms_ = monotonic_ms();  // the silence limit counts from here
        last_error_.clear();
        cache_.channel_subscribed();
        Log::write(LogLevel::Info, "invalidation channel subscribed");
        return;
    }
    if (kind != "message") return;
    auto message = decode_invalidation(reply.elements[2].str);
    if (!message) return;
    switch (message->kind) {
        case Invalidation::Kind::Module:
            cache_.invalidate_module(message->subject, message->position);
            break;
        case Invalidation::Kind::Tokens:
            // Inside hiredis' read handler: run the callback from the loop.
            loop_.defer(lifetime_.bind([this] { tokens_changed_(); }));
            break;
        case Invalidation::Kind::Heartbeat:
            if (message->subject == instance_) {
                last_heard_ms_ = monotonic_ms();
                latency_ms_ = last_heard_ms_ - last_sent_ms_;
            }
            break;
    }
}

void InvalidationSubscriber::beat() {
    timer_.arm(std::chrono::milliseconds(beat_every_ms_));
    const int64_t now = monotonic_ms();
    if (subscribed_ && now - last_heard_ms_ > silence_limit_ms_) {
        last_error_ = "heartbeat not delivered";
        // The lost callback (on_master_lost) drops the cache and the subscription restarts.
        subscriber_.rediscover("the invalidation heartbeat was not delivered in time");
        return;
    }
    if (!subscribed_ || !publisher_.ready()) return;
    last_sent_ms_ = now;
    publisher_.command({"PUBLISH", std::string(kInvalidationChannel),
                        encode_invalidation({Invalidation::Kind::Heartbeat, instance_})},
                       [](Result<RedisReply>) {});
}

InvalidationSubscriber::Health InvalidationSubscriber::health() const {
    Health h;
    h.up = subscribed_ && publisher_.ready();
    h.latency_ms = latency_ms_;
    if (!h.up) h.error = last_error_.empty() ? "not connected" : last_error_;
    return h;
}

}  // namespace spoke
