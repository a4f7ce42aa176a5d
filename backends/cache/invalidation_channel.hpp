#pragma once
// The invalidation channel's wire format: one Redis Pub/Sub channel, one short text message per
// write, published after the write is durable.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spoke {

inline constexpr std::string_view kInvalidationChannel = "spoke:invalidate";

// What a message asks receivers to drop.
struct Invalidation {
    enum class Kind {
        // "m:<name>" or "m:<name>@<position>" (hex; module names have no '@'): the module's
        // row, versions, latest and every list page. The position is where the write sits in
        // the database's log: receivers cache the module's reads again only once their read
        // replicas have replayed it.
        Module,
        Tokens,     // "t": every cached API token (a revocation or a change)
        Heartbeat,  // "h:<instance>": a subscriber's proof that its channel still delivers
    };
    Kind kind;
    std::string subject;    // the module name or instance id; empty for Tokens
    uint64_t position = 0;  // Module: the write's WAL position; 0 when unknown
};

std::string encode_invalidation(const Invalidation& message);
std::optional<Invalidation> decode_invalidation(std::string_view text);

}  // namespace spoke
