#pragma once
// WriteFence: the process-wide WAL position of the last write this process acknowledged, and how
// a committed write's position is read and parsed.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "backends/postgres/pg_connection.hpp"

namespace spoke {

// Highest WAL LSN (as a 64-bit number) that any write of this process committed before it was
// acknowledged. Shared by every loop's pool; a replica is eligible for reads only once it has
// replayed up to here, so a client that got a 201 from this process reads its own write.
struct WriteFence {
    std::atomic<uint64_t> lsn{0};
    void advance(uint64_t to);
};

// "16/B374D848" -> 0x16B374D848; nullopt if malformed.
std::optional<uint64_t> parse_pg_lsn(std::string_view text);

// Run on the connection of a write that just committed: its WAL position. The insert position,
// not pg_current_wal_lsn(): with synchronous_commit=off the write position can still be short
// of our commit record, and a replica that replayed only up to there would not show the write.
inline constexpr const char* kCommitPositionSql = "SELECT pg_current_wal_insert_lsn()::text";

// Advances `fence` to the position kCommitPositionSql returned; logs a warning when the answer
// is an error or unparsable (the write stands, only read-your-writes is not guaranteed for it).
void advance_fence_to_commit(WriteFence& fence, const PgQueryResult& position);

}  // namespace spoke
