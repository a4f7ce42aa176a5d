#include "backends/redis/sentinel_watcher.hpp"

#include "reactor/event_loop.hpp"
#include "reactor/log.hpp"

namespace spoke {

SentinelWatcher::SentinelWatcher(EventLoop& loop, HostResolver& resolver, RedisShared& shared,
                                 Callback<void(const std::string&)> switched)
    : loop_(loop),
      master_name_(shared.settings().target.master_name),
      switched_(std::move(switched)),
      client_(loop, resolver, shared, this, RedisPeer::Sentinel) {}

void SentinelWatcher::on_master_ready(RedisConnection& connection) {
    connection.subscribe({"+switch-master"});
}

void SentinelWatcher::on_push(const RedisReply& reply) {
    // ["message", "+switch-master", "<name> <old-ip> <old-port> <new-ip> <new-port>"]
    if (reply.type != RedisReply::Type::Array || reply.elements.size() != 3 ||
        reply.elements[0].str != "message") {
        return;
    }
    const std::string& text = reply.elements[2].str;
    if (text.compare(0, master_name_.size() + 1, master_name_ + " ") != 0) return;
    Log::write(LogLevel::Info, "sentinel reported a new master",
               {{"switch", std::string_view(text)}});
    // Inside hiredis' read handler: act from the loop.
    loop_.defer(lifetime_.bind([this, text] { switched_(text); }));
}

}  // namespace spoke
