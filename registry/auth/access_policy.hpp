#pragma once
// The authorization rules, with no I/O: who a request acts as (Principal), what a route needs
// (RouteAccess), and the one function that decides (decide_access).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace spoke {

// Scopes nest: admin includes write, write includes read.
enum class Scope : uint8_t { Read = 1, Write = 2, Admin = 3 };

std::string_view scope_name(Scope scope);
std::optional<Scope> parse_scope(std::string_view text);
// The highest scope of a list of scope names (unknown names are ignored); nullopt when none.
std::optional<Scope> highest_scope(const std::vector<std::string>& names);

// Principal: who a request acts as, once its credential (if any) has been checked.
struct Principal {
    enum class Kind : uint8_t { Anonymous, ApiToken, Jwt };
    Kind kind = Kind::Anonymous;
    std::string id;                     // "tok_..." or "jwt:<subject>"; empty when anonymous
    std::string name;                   // the token's name or the JWT subject
    std::optional<Scope> scope;         // the highest scope held; nullopt: none
    std::vector<std::string> prefixes;  // module-name prefixes it is limited to; empty: all

    bool anonymous() const { return kind == Kind::Anonymous; }
    // True when `module` is within the credential's prefixes (or it has none).
    bool covers(std::string_view module) const;
};

// Where a route finds the module it acts on, for prefix-limited credentials.
enum class ModuleFrom : uint8_t {
    None,       // the route acts on no single module (lists, /validate, languages)
    PathName,   // the path parameter {name}
    BodyName,   // the JSON body's "name" field (POST /modules)
    AllModules  // acts on everything (token management): only an unlimited credential may
};

// RouteAccess: what one route needs.
struct RouteAccess {
    Scope scope = Scope::Read;
    ModuleFrom module = ModuleFrom::None;
    // True for routes that change state: they are audited whatever their outcome.
    bool changes_state() const { return scope != Scope::Read; }
};

// The request may go on (ok), or the error to answer with: Unauthorized (401) when a credential
// is missing, Forbidden (403) naming the missing scope or prefix. `module` is the module the
// request acts on (empty when the route has none or it could not be read).
Status decide_access(const Principal& who, const RouteAccess& needs, std::string_view module,
                     bool anonymous_read);

// A module-name prefix a token may be limited to: the start of a valid module name
// (^[a-z][a-z0-9_.-]{0,127}$). Returns the problem, or nullopt when valid.
std::optional<std::string> module_prefix_problem(std::string_view prefix);

}  // namespace spoke
