#pragma once
// Semantic versions (semver.org 2.0.0) with an optional leading 'v': parsing, precedence, latest.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/model.hpp"

namespace spoke {

struct Semver {
    uint64_t major = 0, minor = 0, patch = 0;
    std::vector<std::string> prerelease;  // dot-separated identifiers
    std::string build;                    // ignored for precedence
    bool is_prerelease() const { return !prerelease.empty(); }
};

std::optional<Semver> parse_semver(std::string_view text);
// <0, 0, >0 by semver precedence (build metadata ignored).
int compare_precedence(const Semver& a, const Semver& b);

// Identity of a version: the string without a leading 'v' ("v1.2.3" and "1.2.3" are one version).
std::string version_key(std::string_view version);

// Sort newest first: by precedence, then by created_at (newer first), then by string.
void sort_newest_first(std::vector<VersionRecord>& versions);
// Index of the version "latest" resolves to: the highest release, or the highest pre-release
// when no release exists. nullopt for an empty list.
std::optional<size_t> select_latest(const std::vector<VersionRecord>& versions);

}  // namespace spoke
