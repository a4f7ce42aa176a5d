#include "services/dependency_refs.hpp"

#include <gtest/gtest.h>

namespace spoke {
namespace {

VersionRecord rec(std::string module, std::string version) {
    VersionRecord r;
    r.module_name = std::move(module);
    r.version = std::move(version);
    return r;
}

TEST(ResolveDirect, ExactSpellingAndLatest) {
    const std::vector<VersionRecord> closure = {rec("base", "1.0.0"), rec("base", "v2.0.0"),
                                                rec("common", "0.1.0-rc.1"), rec("app", "v3.0.0")};
    auto r =
        resolve_direct({{"base", "v1.0.0"}, {"base", "latest"}, {"common", "latest"}}, closure);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, (std::vector<std::string>{"base@1.0.0", "base@v2.0.0", "common@0.1.0-rc.1"}));
    auto missing = resolve_direct({{"nope", "1.0.0"}}, closure);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::UnknownDependency);
}

}  // namespace
}  // namespace spoke
