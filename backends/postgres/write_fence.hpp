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

// The insert position as a replica's replay position can reach it. Right after a record that
// ended on a WAL page boundary, pg_current_wal_insert_lsn() points past the next page's header,
// while a replica that replayed that record reports the boundary itself: until some later WAL
// record was written (on an idle primary, up to ~15 s), no replica would ever count as caught up.
// Assumes the default page (8 KiB) and segment (16 MiB) sizes; with others a position is at
// worst held until the next WAL record, as before.
uint64_t insert_lsn_as_record_end(uint64_t insert_lsn);

// Advances `fence` to the position kCommitPositionSql returned; logs a warning when the answer
// is an error or unparsable (the write stands, only read-your-writes is not guaranteed for it).
void advance_fence_to_commit(WriteFence& fence, const PgQueryResult& position);

}  // namespace spoke
