#include "registry/auth/access_policy.hpp"

namespace spoke {

std::string_view scope_name(Scope scope) {
    switch (scope) {
        case Scope::Read:
            return "read";
        case Scope::Write:
            return "write";
        case Scope::Admin:
            return "admin";
    }
    return "read";
}

std::optional<Scope> parse_scope(std::string_view text) {
    if (text == "read") return Scope::Read;
    if (text == "write") return Scope::Write;
    if (text == "admin") return Scope::Admin;
    return std::nullopt;
}

std::optional<Scope> highest_scope(const std::vector<std::string>& names) {
    std::optional<Scope> best;
    for (const auto& n : names) {
        auto s = parse_scope(n);
        if (s && (!best || *s > *best)) best = s;
    }
    return best;
}

bool Principal::covers(std::string_view module) const {
    if (prefixes.empty()) return true;
    for (const auto& p : prefixes) {
        if (module.starts_with(p)) return true;
    }
    return false;
}

namespace {

std::string credential_label(const Principal& who) {
    return (who.kind == Principal::Kind::Jwt ? "the bearer token of " : "the token ") +
           quote_value(who.name);
}

std::string prefix_list(const std::vector<std::string>& prefixes) {
    std::string out;
    for (const auto& p : prefixes) {
        if (!out.empty()) out += ", ";
        out += quote_value(p);
    }
    return out;
}

}  // namespace

Status decide_access(const Principal& who, const RouteAccess& needs, std::string_view module,
                     bool anonymous_read) {
    // A credential never gets less than no credential at all: with anonymous reads on, every
    // read passes whatever the credential's scopes and prefixes (it was still checked: a wrong
    // credential is refused before this).
    if (needs.scope == Scope::Read && anonymous_read) return ok_status();
    if (who.anonymous()) {
        return Error::unauthorized("this request needs a credential with the " +
                                   std::string(scope_name(needs.scope)) +
                                   " scope: send Authorization: Bearer <token>");
    }
    if (!who.scope || *who.scope < needs.scope) {
        return Error::forbidden(credential_label(who) + " lacks the " +
                                std::string(scope_name(needs.scope)) + " scope this request needs");
    }
    switch (needs.module) {
        case ModuleFrom::None:
            return ok_status();
        case ModuleFrom::AllModules:
            if (who.prefixes.empty()) return ok_status();
            return Error::forbidden(credential_label(who) + " is limited to module prefixes (" +
                                    prefix_list(who.prefixes) +
                                    "); this request needs a credential for all modules");
        case ModuleFrom::PathName:
        case ModuleFrom::BodyName:
            // No module name to check (an unreadable body): the handler refuses the request
            // with 400 and nothing is written.
            if (module.empty() || who.covers(module)) return ok_status();
            return Error::forbidden(
                credential_label(who) + " is limited to modules starting with " +
                prefix_list(who.prefixes) + "; " + quote_value(module) + " is not one of them");
    }
    return ok_status();
}

std::optional<std::string> module_prefix_problem(std::string_view prefix) {
    if (prefix.empty()) return "a prefix must not be empty";
    if (prefix.size() > 128) return "a prefix is at most 128 characters";
    if (prefix[0] < 'a' || prefix[0] > 'z') return "a prefix starts with a lowercase letter";
    for (char c : prefix) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return "a prefix has only a-z, 0-9, '_', '.' and '-' (as module names do)";
    }
    return std::nullopt;
}

}  // namespace spoke
