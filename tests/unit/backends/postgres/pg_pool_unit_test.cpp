// PgPool's pure parts: LSN parsing and the read-your-writes fence.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "backends/postgres/pg_pool.hpp"

namespace spoke {
namespace {

TEST(ParsePgLsn, ParsesBothHalvesAsHex) {
    EXPECT_EQ(parse_pg_lsn("16/B374D848"), 0x16B374D848u);
    EXPECT_EQ(parse_pg_lsn("0/0"), 0u);
    EXPECT_EQ(parse_pg_lsn("0/3000060"), 0x3000060u);
    EXPECT_EQ(parse_pg_lsn("FFFFFFFF/FFFFFFFF"), UINT64_MAX);
    EXPECT_EQ(parse_pg_lsn("a/b"), 0xA0000000Bu);
    // The low half is a full 32 bits, not concatenated digits.
    EXPECT_EQ(parse_pg_lsn("1/1"), (uint64_t{1} << 32) | 1u);
}

TEST(ParsePgLsn, RejectsMalformedText) {
    for (const char* bad : {"", "/", "16/", "/B374D848", "16B374D848", "16/B374D84G", "1/2/3",
                            " 1/2", "1/2 ", "-1/2", "123456789/0", "0/123456789", "0x1/2"}) {
        EXPECT_FALSE(parse_pg_lsn(bad).has_value()) << '"' << bad << '"';
    }
}

TEST(InsertLsnAsRecordEnd, PositionsPastAPageHeaderAreThePageBoundary) {
    // A replica that replayed a record ending at a page boundary reports the boundary.
    EXPECT_EQ(insert_lsn_as_record_end(0x3002018), 0x3002000u);  // short header, 24
    EXPECT_EQ(insert_lsn_as_record_end(0x4000028), 0x4000000u);  // segment start, 40
    EXPECT_EQ(insert_lsn_as_record_end((uint64_t{5} << 32) | 0x28), uint64_t{5} << 32);
    EXPECT_EQ(insert_lsn_as_record_end(0x3002060), 0x3002060u);  // mid-page: as is
    EXPECT_EQ(insert_lsn_as_record_end(0x4000018), 0x4000018u);  // inside a long header
    EXPECT_EQ(insert_lsn_as_record_end(0x3002000), 0x3002000u);
}

TEST(WriteFence, AdvancesOnlyForward) {
    WriteFence fence;
    EXPECT_EQ(fence.lsn.load(), 0u);
    fence.advance(100);
    EXPECT_EQ(fence.lsn.load(), 100u);
    fence.advance(50);
    EXPECT_EQ(fence.lsn.load(), 100u);
    fence.advance(100);
    EXPECT_EQ(fence.lsn.load(), 100u);
    fence.advance(UINT64_MAX);
    EXPECT_EQ(fence.lsn.load(), UINT64_MAX);
}

TEST(WriteFence, ConcurrentAdvancesKeepTheMaximum) {
    WriteFence fence;
    std::vector<std::thread> threads;
    for (uint64_t t = 0; t < 4; ++t) {
        threads.emplace_back([&fence, t] {
            // Interleaved, partly descending sequences from each thread.
            for (uint64_t i = 0; i < 20000; ++i) fence.advance((i * 4 + t) ^ (i & 7));
        });
    }
    for (auto& th : threads) th.join();
    uint64_t expected = 0;
    for (uint64_t t = 0; t < 4; ++t)
        for (uint64_t i = 0; i < 20000; ++i) expected = std::max(expected, (i * 4 + t) ^ (i & 7));
    EXPECT_EQ(fence.lsn.load(), expected);
}

}  // namespace
}  // namespace spoke
