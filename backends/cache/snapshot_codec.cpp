#include "backends/cache/snapshot_codec.hpp"

#include <cstdint>

#include "backends/filesystem/record_json.hpp"
#include "registry/digest.hpp"

namespace spoke {

namespace {

void append_chunk(std::string& out, std::string_view chunk) {
    const auto n = static_cast<uint32_t>(chunk.size());
    const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                         static_cast<char>(n >> 8), static_cast<char>(n)};
    out.append(len, 4).append(chunk);
}

std::optional<std::string_view> take_chunk(std::string_view& in) {
    if (in.size() < 4) return std::nullopt;
    const auto* b = reinterpret_cast<const unsigned char*>(in.data());
    const uint32_t n =
        (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    if (in.size() - 4 < n) return std::nullopt;
    std::string_view chunk = in.substr(4, n);
    in.remove_prefix(4 + n);
    return chunk;
}

}  // namespace

std::optional<std::string> encode_snapshot(const VersionSnapshot& snapshot) {
    auto record = fsjson::encode_version(snapshot.record);
    if (!record || snapshot.files.size() != snapshot.record.files.size()) return std::nullopt;
    std::string out;
    append_chunk(out, *record);
    for (const auto& f : snapshot.files) append_chunk(out, f.content);
    return out;
}

std::optional<VersionSnapshot> decode_snapshot(std::string_view bytes) {
    auto record_json = take_chunk(bytes);
    if (!record_json) return std::nullopt;
    auto record = fsjson::decode_version(*record_json);
    if (!record) return std::nullopt;
    VersionSnapshot out;
    out.record = std::move(*record);
    for (const auto& entry : out.record.files) {
        auto content = take_chunk(bytes);
        if (!content || sha256_hex(*content) != entry.sha256) return std::nullopt;
        out.files.push_back(ProtoFile{entry.path, std::string(*content)});
    }
    if (!bytes.empty()) return std::nullopt;
    return out;
}

std::string snapshot_cache_key(std::string_view identity) {
    return "spoke:snap:1:" + std::string(identity);
}

}  // namespace spoke
