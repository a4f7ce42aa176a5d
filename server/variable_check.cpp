#include "server/variable_check.hpp"

#include <algorithm>
#include <optional>

#include "server/config.hpp"

namespace spoke {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A misspelling is a few edits away from the name meant.
std::string nearest(const std::string& name, const std::set<std::string>& known) {
    std::string best;
    size_t best_distance = 4;  // at most 3 edits
    for (const std::string& k : known) {
        size_t d = edit_distance(name, k);
        if (d < best_distance) {
            best_distance = d;
            best = k;
        }
    }
    return best;
}

}  // namespace

std::set<std::string> known_variables() {
    std::set<std::string> names;
    std::vector<std::string> errors;
    load_config(
        [&names](const std::string& name) -> std::optional<std::string> {
            names.insert(name);
            return std::nullopt;
        },
        errors);
    return names;
}

std::vector<UnknownVariable> unknown_variables(const std::vector<std::string>& names) {
    const std::set<std::string> known = known_variables();
    std::vector<UnknownVariable> unknown;
    for (const std::string& name : names) {
        if (!name.starts_with("SPOKE_") || known.contains(name)) continue;
        unknown.push_back({name, nearest(name, known)});
    }
    return unknown;
}

std::vector<std::string> spoke_variable_names(char** envp) {
    std::vector<std::string> names;
    for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with("SPOKE_")) continue;
        names.emplace_back(entry.substr(0, entry.find('=')));
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace spoke
