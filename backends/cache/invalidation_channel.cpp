#include "backends/cache/invalidation_channel.hpp"

#include <charconv>

namespace spoke {

namespace {

std::string hex_position(uint64_t position) {
    char buf[16];
    auto end = std::to_chars(buf, buf + sizeof buf, position, 16).ptr;
    return std::string(buf, end);
}

std::optional<Invalidation> decode_module(std::string_view body) {
    const size_t at = body.rfind('@');
    if (at == std::string_view::npos)
        return Invalidation{Invalidation::Kind::Module, std::string(body)};
    std::string_view hex = body.substr(at + 1);
    uint64_t position = 0;
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), position, 16);
    if (at == 0 || hex.empty() || ec != std::errc() || end != hex.data() + hex.size())
        return std::nullopt;
    return Invalidation{Invalidation::Kind::Module, std::string(body.substr(0, at)), position};
}

}  // namespace

std::string encode_invalidation(const Invalidation& message) {
    switch (message.kind) {
        case Invalidation::Kind::Module:
            if (message.position == 0) return "m:" + message.subject;
            return "m:" + message.subject + "@" + hex_position(message.position);
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
        if (text[0] == 'm') return decode_module(text.substr(2));
        if (text[0] == 'h')
            return Invalidation{Invalidation::Kind::Heartbeat, std::string(text.substr(2))};
    }
    return std::nullopt;
}

}  // namespace spoke
