#include "backends/cache/invalidation_channel.hpp"

namespace spoke {

std::string encode_invalidation(const Invalidation& message) {
    switch (message.kind) {
        case Invalidation::Kind::Module:
            return "m:" + message.subject;
        case Invalidation::Kind::Tokens:
            return "t";
        case Invalidation::Kind::Heartbeat:
            return "h:" + message.subject;
    }
    return {};
}

std::optional<Invalidation> decode_invalidation(std::string_view text) {
    if (text == "t") return Invalidation{Invalidation::Kind::Tokens, {}};
    if (text.size() > 2 && text[1] == ':') {
        if (text[0] == 'm')
            return Invalidation{Invalidation::Kind::Module, std::string(text.substr(2))};
        if (text[0] == 'h')
            return Invalidation{Invalidation::Kind::Heartbeat, std::string(text.substr(2))};
    }
    return std::nullopt;
}

}  // namespace spoke
