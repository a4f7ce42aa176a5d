#include "backends/postgres/write_fence.hpp"

#include "reactor/log.hpp"

namespace spoke {

void WriteFence::advance(uint64_t to) {
    uint64_t seen = lsn.load();
    while (seen < to && !lsn.compare_exchange_weak(seen, to)) {
    }
}

std::optional<uint64_t> parse_pg_lsn(std::string_view text) {
    const auto half = [](std::string_view s) -> std::optional<uint64_t> {
        if (s.empty() || s.size() > 8) return std::nullopt;
        uint64_t v = 0;
        for (char c : s) {
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return std::nullopt;
            v = v * 16 + static_cast<uint64_t>(d);
        }
        return v;
    };
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto hi = half(text.substr(0, slash));
    const auto lo = half(text.substr(slash + 1));
    if (!hi || !lo) return std::nullopt;
    return (*hi << 32) | *lo;
}

uint64_t insert_lsn_as_record_end(uint64_t insert_lsn) {
    constexpr uint64_t kPage = 8192;
    constexpr uint64_t kSegment = uint64_t{16} << 20;
    constexpr uint64_t kShortPageHeader = 24;  // SizeOfXLogShortPHD
    constexpr uint64_t kLongPageHeader = 40;   // SizeOfXLogLongPHD, first page of a segment
    if (insert_lsn % kSegment == kLongPageHeader) return insert_lsn - kLongPageHeader;
    if (insert_lsn % kSegment >= kPage && insert_lsn % kPage == kShortPageHeader)
        return insert_lsn - kShortPageHeader;
    return insert_lsn;
}

void advance_fence_to_commit(WriteFence& fence, const PgQueryResult& position) {
    std::optional<uint64_t> lsn;
    if (position.ok() && position.value().rows() == 1 && !position.value().is_null(0, 0))
        lsn = parse_pg_lsn(position.value().value(0, 0));
    if (lsn) {
        fence.advance(insert_lsn_as_record_end(*lsn));
        return;
    }
    Log::write(LogLevel::Warn,
               "postgres write committed but its WAL position is unknown; "
               "read-your-writes fence not advanced",
               {{"reason", position.ok() ? std::string_view("unparsable position")
                                         : std::string_view(position.error().message)}});
}

}  // namespace spoke
