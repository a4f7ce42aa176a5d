#pragma once
// Helpers for the token storage tests of both backends: a field-by-field comparison of records.

#include <gtest/gtest.h>

#include "registry/api_token.hpp"

namespace spoke::testing {

// Every field of the two records is equal (each mismatch reported on its own).
inline void expect_same(const ApiToken& a, const ApiToken& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.secret_hash, b.secret_hash);
    EXPECT_EQ(a.scopes, b.scopes);
    EXPECT_EQ(a.prefixes, b.prefixes);
    EXPECT_EQ(a.expires_at, b.expires_at);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.last_used_at, b.last_used_at);
    EXPECT_EQ(a.revoked_at, b.revoked_at);
}

}  // namespace spoke::testing
