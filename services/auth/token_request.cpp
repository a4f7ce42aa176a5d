#include "services/auth/token_request.hpp"

#include <algorithm>

#include "registry/auth/access_policy.hpp"

namespace spoke {

namespace {

constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxPrefixes = 32;

void sort_unique(std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

Status check_name(const std::string& name) {
    if (name.empty()) return Error::bad_request("field \"name\" must not be empty");
    if (name.size() > kMaxNameBytes) {
        return Error::bad_request("field \"name\" is longer than " + std::to_string(kMaxNameBytes) +
                                  " bytes");
    }
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f) {
            return Error::bad_request("field \"name\" has a control character");
        }
    }
    return ok_status();
}

}  // namespace

Result<CreatedToken> make_token(TokenRequest request, TimestampMs now) {
    if (Status s = check_name(request.name); !s) return s.error();
    if (request.scopes.empty()) {
        return Error::bad_request(
            "field \"scopes\" must name at least one of \"read\", \"write\", \"admin\"");
    }
    for (const auto& scope : request.scopes) {
        if (!parse_scope(scope)) {
            return Error::bad_request("field \"scopes\": " + quote_value(scope) +
                                      " is not one of \"read\", \"write\", \"admin\"");
        }
    }
    if (request.prefixes.size() > kMaxPrefixes) {
        return Error::bad_request("field \"prefixes\" has more than " +
                                  std::to_string(kMaxPrefixes) + " entries");
    }
    for (const auto& prefix : request.prefixes) {
        if (auto why = module_prefix_problem(prefix)) {
            return Error::bad_request("field \"prefixes\": " + quote_value(prefix) + ": " + *why);
        }
    }
    if (request.expires_at && *request.expires_at <= now) {
        return Error::bad_request("field \"expires_at\" must be in the future");
    }
    auto secret = make_token_secret();
    if (!secret) return secret.error();
    sort_unique(request.scopes);
    sort_unique(request.prefixes);

    CreatedToken out;
    out.record.id = std::move(secret->id);
    out.record.name = std::move(request.name);
    out.record.secret_hash = std::move(secret->hash);
    out.record.scopes = std::move(request.scopes);
    out.record.prefixes = std::move(request.prefixes);
    out.record.expires_at = request.expires_at;
    out.record.created_at = now;
    out.secret = std::move(secret->secret);
    return out;
}

bool is_token_id(std::string_view id) {
    if (id.size() != 20 || !id.starts_with("tok_")) return false;
    return std::all_of(id.begin() + 4, id.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace spoke
