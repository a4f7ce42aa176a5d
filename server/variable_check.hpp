#pragma once

#include <set>
#include <string>
#include <vector>

namespace spoke {

// The SPOKE_* names load_config reads, found by asking it (so the list cannot fall behind it).
std::set<std::string> known_variables();

// One SPOKE_* variable of the environment that the server does not read, with the nearest known
// name when one is close enough to be a typo of it.
struct UnknownVariable {
    std::string name;
    std::string did_you_mean;  // empty when nothing is close
};

// The SPOKE_* names among `names` (e.g. the process environment's) that are not known variables.
std::vector<UnknownVariable> unknown_variables(const std::vector<std::string>& names);

// The names of the SPOKE_* variables set in an environment block such as `environ`.
std::vector<std::string> spoke_variable_names(char** envp);

}  // namespace spoke
