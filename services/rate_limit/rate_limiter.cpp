#include "services/rate_limit/rate_limiter.hpp"

#include <openssl/sha.h>

#include <cmath>

#include "backends/redis/redis_client.hpp"
#include "common/clock.hpp"
#include "common/hex.hpp"

namespace spoke {

namespace {

// KEYS[1]: the bucket. ARGV: tokens per second, burst. Returns {allowed, whole tokens left,
// ms until one token is back (0 when allowed), ms until full}. TIME is Redis' clock: every
// instance measures refills on the same one.
constexpr const char* kTokenBucketScript = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
local full = math.ceil((burst - tokens) * 1000 / rate)
redis.call('PEXPIRE', KEYS[1], full + 1000)
return {allowed, math.floor(tokens), wait, full}
)lua";

const std::string& script_sha() {
    static const std::string sha = [] {
        unsigned char digest[SHA_DIGEST_LENGTH];
        const std::string_view s(kTokenBucketScript);
        SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
        return lower_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
    }();
    return sha;
}

std::string rate_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6f", v);
    return buf;
}

std::optional<RateDecision> from_reply(const RedisReply& r, const RateLimit& limit) {
    if (r.type != RedisReply::Type::Array || r.elements.size() != 4) return std::nullopt;
    for (const auto& e : r.elements) {
        if (e.type != RedisReply::Type::Integer) return std::nullopt;
    }
    RateDecision d;
    d.allowed = r.elements[0].integer == 1;
    d.limit = static_cast<int64_t>(limit.burst);
    d.remaining = std::max<int64_t>(0, r.elements[1].integer);
    d.retry_after_ms = r.elements[2].integer;
    d.reset_seconds = (r.elements[3].integer + 999) / 1000;
    d.shared = true;
    return d;
}

}  // namespace

void RateCounters::count(const RateDecision& d) {
    auto& c = d.shared ? (d.allowed ? allowed_shared : limited_shared)
                       : (d.allowed ? allowed_local : limited_local);
    c.fetch_add(1, std::memory_order_relaxed);
}

void RateCounters::append_metrics(std::string& out) const {
    out += "# HELP spoke_rate_limit_decisions_total requests checked against their rate limit\n";
    out += "# TYPE spoke_rate_limit_decisions_total counter\n";
    auto line = [&out](const char* labels, const std::atomic<uint64_t>& v) {
        out += "spoke_rate_limit_decisions_total{";
        out += labels;
        out += "} " + std::to_string(v.load(std::memory_order_relaxed)) + "\n";
    };
    line("result=\"allowed\",source=\"redis\"", allowed_shared);
    line("result=\"limited\",source=\"redis\"", limited_shared);
    line("result=\"allowed\",source=\"local\"", allowed_local);
    line("result=\"limited\",source=\"local\"", limited_local);
}

RateDecision LocalBuckets::take(const std::string& key, const RateLimit& limit, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) buckets_.clear();
        it = buckets_.emplace(key, Bucket{limit.burst, now_ms}).first;
    }
    Bucket& b = it->second;
    if (now_ms > b.updated_ms) {
        b.tokens = std::min(limit.burst, b.tokens + static_cast<double>(now_ms - b.updated_ms) *
                                                        limit.per_second / 1000);
        b.updated_ms = now_ms;
    }
    RateDecision d;
    d.limit = static_cast<int64_t>(limit.burst);
    if (b.tokens >= 1) {
        b.tokens -= 1;
    } else {
        d.allowed = false;
        d.retry_after_ms =
            static_cast<int64_t>(std::ceil((1 - b.tokens) * 1000 / limit.per_second));
    }
    d.remaining = static_cast<int64_t>(b.tokens);
    d.reset_seconds = static_cast<int64_t>(std::ceil((limit.burst - b.tokens) / limit.per_second));
    return d;
}

RateLimiter::RateLimiter(const RateLimitPolicy& policy, LocalBuckets& local, RateCounters& counters,
                         RedisClient* redis)
    : policy_(policy), local_(local), counters_(counters), redis_(redis) {}

void RateLimiter::decide_locally(const std::string& key, const RateLimit& limit,
                                 Callback<void(RateDecision)>& done) {
    RateDecision d = local_.take(key, limit, monotonic_ms());
    counters_.count(d);
    done(d);
}

void RateLimiter::check(const std::string& key, Callback<void(RateDecision)> done) {
    const RateLimit limit = policy_.get();
    if (!limit.enabled()) return done(RateDecision{});
    if (redis_ == nullptr || !redis_->ready()) return decide_locally(key, limit, done);
    std::vector<std::string> args{"EVALSHA",
                                  script_sha(),
                                  "1",
                                  "spoke:rl:" + key,
                                  rate_text(limit.per_second),
                                  rate_text(limit.burst)};
    redis_->command(std::move(args), [this, guard = lifetime_.guard(), key, limit,
                                      done = std::move(done)](Result<RedisReply> reply) mutable {
        if (!guard.alive()) return done(RateDecision{});
        if (reply && reply->is_error("NOSCRIPT")) {
            // First use on this Redis (or after a restart or failover): EVAL loads the script.
            redis_->command({"EVAL", kTokenBucketScript, "1", "spoke:rl:" + key,
                             rate_text(limit.per_second), rate_text(limit.burst)},
                            [this, guard = lifetime_.guard(), key, limit,
                             done = std::move(done)](Result<RedisReply> again) mutable {
                                if (!guard.alive()) return done(RateDecision{});
                                auto d = again ? from_reply(*again, limit) : std::nullopt;
                                if (!d) return decide_locally(key, limit, done);
                                counters_.count(*d);
                                done(*d);
                            });
            return;
        }
        auto d = reply ? from_reply(*reply, limit) : std::nullopt;
        if (!d) return decide_locally(key, limit, done);
        counters_.count(*d);
        done(*d);
    });
}

}  // namespace spoke
