#include "handlers/client_address.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

std::string from(std::string_view peer, std::optional<std::string_view> xff,
                 std::vector<std::string> trusted) {
    return client_address(peer, xff ? &*xff : nullptr, trusted);
}

TEST(ClientAddressTest, ThePeerUnlessItIsATrustedProxy) {
    EXPECT_EQ(from("10.0.0.5", std::nullopt, {}), "10.0.0.5");
    // An untrusted peer cannot name another client.
    EXPECT_EQ(from("10.0.0.5", "1.2.3.4", {}), "10.0.0.5");
    EXPECT_EQ(from("10.0.0.5", "1.2.3.4", {"127.0.0.1"}), "10.0.0.5");
    EXPECT_EQ(from("127.0.0.1", std::nullopt, {"127.0.0.1"}), "127.0.0.1");
}

TEST(ClientAddressTest, TheNearestUntrustedForwardedAddress) {
    const std::vector<std::string> proxies{"127.0.0.1", "10.0.0.2"};
    EXPECT_EQ(from("127.0.0.1", "203.0.113.7", proxies), "203.0.113.7");
    // A client may send its own X-Forwarded-For: only the right end, where proxies wrote, counts.
    EXPECT_EQ(from("127.0.0.1", "6.6.6.6, 203.0.113.7", proxies), "203.0.113.7");
    EXPECT_EQ(from("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", proxies), "203.0.113.7");
    EXPECT_EQ(from("127.0.0.1", " 2001:db8:0:0::1 ", proxies), "2001:db8::1");
}

TEST(ClientAddressTest, GarbageStopsTheWalk) {
    const std::vector<std::string> proxies{"127.0.0.1"};
    EXPECT_EQ(from("127.0.0.1", "not-an-address", proxies), "127.0.0.1");
    EXPECT_EQ(from("127.0.0.1", "203.0.113.7, unknown", proxies), "127.0.0.1");
    EXPECT_EQ(from("127.0.0.1", "", proxies), "127.0.0.1");
    EXPECT_EQ(from("127.0.0.1", ",,,", proxies), "127.0.0.1");
}

}  // namespace
}  // namespace spoke
