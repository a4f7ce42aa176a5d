// SPOKE_CODEGEN_QUEUE and SPOKE_CODEGEN_TIMEOUT.

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "server/config.hpp"

namespace spoke {
namespace {

Config load(std::map<std::string, std::string> vars, std::vector<std::string>& errors) {
    return load_config(
        [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
            if (auto it = vars.find(name); it != vars.end()) return it->second;
            return std::nullopt;
        },
        errors);
}

TEST(CodegenConfig, Defaults) {
    std::vector<std::string> errors;
    Config c = load({}, errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(c.codegen_queue, 64u);
    EXPECT_EQ(c.codegen_timeout, std::chrono::seconds(60));
}

TEST(CodegenConfig, ParsesValues) {
    std::vector<std::string> errors;
    Config c = load({{"SPOKE_CODEGEN_QUEUE", "3"}, {"SPOKE_CODEGEN_TIMEOUT", "90s"}}, errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(c.codegen_queue, 3u);
    EXPECT_EQ(c.codegen_timeout, std::chrono::seconds(90));
}

TEST(CodegenConfig, RejectsBadValuesNamingTheVariable) {
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"SPOKE_CODEGEN_QUEUE", "0"},
                                                          {"SPOKE_CODEGEN_QUEUE", "many"},
                                                          {"SPOKE_CODEGEN_QUEUE", "100001"},
                                                          {"SPOKE_CODEGEN_TIMEOUT", "0"},
                                                          {"SPOKE_CODEGEN_TIMEOUT", "soon"}}) {
        std::vector<std::string> errors;
        load({{name, value}}, errors);
        ASSERT_EQ(errors.size(), 1u) << name << "=" << value;
        EXPECT_EQ(errors[0].rfind(name + ":", 0), 0u) << errors[0];
    }
}

}  // namespace
}  // namespace spoke
