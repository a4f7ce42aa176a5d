// SPOKE_WORK_QUEUE: the bound on each kind of pool work (compile, lint, compatibility, validate).

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "server/config.hpp"

namespace spoke {
namespace {

Config load_work(std::map<std::string, std::string> vars, std::vector<std::string>& errors) {
    return load_config(
        [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
            if (auto it = vars.find(name); it != vars.end()) return it->second;
            return std::nullopt;
        },
        errors);
}

TEST(WorkQueueConfig, DefaultsTo256) {
    std::vector<std::string> errors;
    Config c = load_work({}, errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(c.work_queue, 256u);
}

TEST(WorkQueueConfig, ParsesTheBounds) {
    for (const auto& [text, value] :
         std::vector<std::pair<std::string, uint64_t>>{{"1", 1}, {"100000", 100000}}) {
        std::vector<std::string> errors;
        Config c = load_work({{"SPOKE_WORK_QUEUE", text}}, errors);
        EXPECT_TRUE(errors.empty()) << text;
        EXPECT_EQ(c.work_queue, value);
    }
}

TEST(WorkQueueConfig, RejectsBadValuesNamingTheVariable) {
    for (const std::string value : {"0", "100001", "many", "-1"}) {
        std::vector<std::string> errors;
        load_work({{"SPOKE_WORK_QUEUE", value}}, errors);
        ASSERT_EQ(errors.size(), 1u) << value;
        EXPECT_EQ(errors[0].rfind("SPOKE_WORK_QUEUE:", 0), 0u) << errors[0];
    }
}

}  // namespace
}  // namespace spoke
