#pragma once
// The invalidation channel's wire format: one Redis Pub/Sub channel, one short text message per
// write, published after the write is durable.

#include <optional>
#include <string>
#include <string_view>

namespace spoke {

inline constexpr std::string_view kInvalidationChannel = "spoke:invalidate";

// What a message asks receivers to drop.
struct Invalidation {
    enum class Kind {
        Module,     // "m:<name>": the module's row, versions, latest and every list page
        Tokens,     // "t": every cached API token (a revocation or a change)
        Heartbeat,  // "h:<instance>": a subscriber's proof that its channel still delivers
    };
    Kind kind;
    std::string subject;  // the module name or instance id; empty for Tokens
};

std::string encode_invalidation(const Invalidation& message);
std::optional<Invalidation> decode_invalidation(std::string_view text);

}  // namespace spoke
