#include "registry/version_graph.hpp"

#include <gtest/gtest.h>

#include <map>

namespace spoke {
namespace {

VersionRecord record(std::string module, std::string version, std::vector<std::string> deps = {}) {
    VersionRecord r;
    r.module_name = std::move(module);
    r.version = std::move(version);
    r.dependencies = std::move(deps);
    return r;
}

// A lookup over a fixed set of records, keyed by identity (so "v1.0.0" finds "1.0.0").
class Graph {
  public:
    void add(VersionRecord r) {
        std::string id = version_identity(r.module_name, r.version);
        records_.emplace(std::move(id), std::move(r));
    }
    VersionLookup lookup() const {
        return [this](const VersionRef& ref) -> Result<const VersionRecord*> {
            auto it = records_.find(version_identity(ref.module, ref.version));
            if (it == records_.end()) {
                return Error{ErrorCode::UnknownDependency, "missing " + ref.to_string(), {}};
            }
            return &it->second;
        };
    }

  private:
    std::map<std::string, VersionRecord> records_;
};

std::vector<std::string> names(const std::vector<VersionRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.module_name + "@" + r.version);
    return out;
}

TEST(VersionGraphTest, ClosureIsDependencyFirstAndVisitsEachVersionOnce) {
    Graph g;
    g.add(record("base", "1.0.0"));
    g.add(record("left", "1.0.0", {"base@1.0.0"}));
    g.add(record("right", "2.0.0", {"base@1.0.0"}));
    g.add(record("app", "3.0.0", {"left@1.0.0", "right@2.0.0"}));
    auto closure = dependency_first_closure({{"app", "v3.0.0"}, {"base", "1.0.0"}}, g.lookup());
    ASSERT_TRUE(closure) << closure.error().message;
    EXPECT_EQ(names(*closure),
              (std::vector<std::string>{"base@1.0.0", "left@1.0.0", "right@2.0.0", "app@3.0.0"}));
}

TEST(VersionGraphTest, MissingDependencyAndMalformedStoredRefFail) {
    Graph g;
    g.add(record("app", "1.0.0", {"gone@1.0.0"}));
    g.add(record("odd", "1.0.0", {"no-at-sign"}));
    auto missing = dependency_first_closure({{"app", "1.0.0"}}, g.lookup());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::UnknownDependency);
    EXPECT_NE(missing.error().message.find("gone@1.0.0"), std::string::npos);
    auto odd = dependency_first_closure({{"odd", "1.0.0"}}, g.lookup());
    ASSERT_FALSE(odd);
    EXPECT_NE(odd.error().message.find("no-at-sign"), std::string::npos);
}

TEST(VersionGraphTest, LongChainsDoNotRecurse) {
    Graph g;
    constexpr int kDepth = 20000;
    g.add(record("m0", "1.0.0"));
    for (int i = 1; i < kDepth; ++i) {
        g.add(record("m" + std::to_string(i), "1.0.0", {"m" + std::to_string(i - 1) + "@1.0.0"}));
    }
    auto closure =
        dependency_first_closure({{"m" + std::to_string(kDepth - 1), "1.0.0"}}, g.lookup());
    ASSERT_TRUE(closure);
    ASSERT_EQ(closure->size(), static_cast<size_t>(kDepth));
    EXPECT_EQ(closure->front().module_name, "m0");
}

TEST(VersionGraphTest, DependentsSortByModuleThenPrecedence) {
    std::vector<VersionRef> refs{
        {"b", "1.10.0"}, {"a", "2.0.0"}, {"b", "1.9.0"}, {"b", "1.10.0-rc.1"}, {"a", "v1.0.0"}};
    sort_dependents(refs);
    std::vector<std::string> got;
    for (const auto& r : refs) got.push_back(r.to_string());
    EXPECT_EQ(got, (std::vector<std::string>{"a@v1.0.0", "a@2.0.0", "b@1.9.0", "b@1.10.0-rc.1",
                                             "b@1.10.0"}));
}

TEST(VersionGraphTest, StoredRefsSplitAtTheFirstAt) {
    auto r = split_stored_ref("acme.common@1.2.3");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->module, "acme.common");
    EXPECT_EQ(r->version, "1.2.3");
    EXPECT_FALSE(split_stored_ref("nothing").has_value());
}

}  // namespace
}  // namespace spoke
