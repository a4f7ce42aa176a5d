#include "services/auth/authenticator.hpp"

#include <algorithm>
#include <cctype>

#include "backends/storage.hpp"
#include "common/clock.hpp"
#include "services/auth/auth_shared.hpp"
#include "services/auth/base64url.hpp"
#include "services/auth/token_secret.hpp"

namespace spoke {

namespace {

// The header's scheme if it is `scheme` (case-insensitive, RFC 9110), followed by one space:
// the rest, trimmed; nullopt otherwise.
std::optional<std::string_view> after_scheme(std::string_view header, std::string_view scheme) {
    if (header.size() <= scheme.size() + 1) return std::nullopt;
    for (size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return std::nullopt;
    }
    if (header[scheme.size()] != ' ') return std::nullopt;
    std::string_view rest = header.substr(scheme.size() + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    if (rest.empty() || rest.find(' ') != std::string_view::npos) return std::nullopt;
    return rest;
}

// The credential of "Bearer <credential>", or of "Basic base64(user:credential)" (the user is
// ignored): Confluent's clients authenticate to a schema registry with Basic only. A Basic
// credential is decoded into `decoded`, which the answer then points into. nullopt when the
// header is neither.
std::optional<std::string_view> credential_of(std::string_view header, std::string& decoded) {
    if (auto bearer = after_scheme(header, "bearer")) return bearer;
    auto basic = after_scheme(header, "basic");
    if (!basic) return std::nullopt;
    std::string url_safe(*basic);
    while (!url_safe.empty() && url_safe.back() == '=') url_safe.pop_back();
    for (char& c : url_safe) {
        if (c == '+')
            c = '-';
        else if (c == '/')
            c = '_';
        else if (c == '-' || c == '_')
            return std::nullopt;  // not standard base64
    }
    auto bytes = base64url_decode(url_safe);
    if (!bytes) return std::nullopt;
    const size_t colon = bytes->find(':');
    if (colon == std::string::npos || colon + 1 == bytes->size()) return std::nullopt;
    decoded = bytes->substr(colon + 1);
    return std::string_view(decoded);
}

bool looks_like_jwt(std::string_view credential) {
    return std::count(credential.begin(), credential.end(), '.') == 2;
}

}  // namespace

Authenticator::Authenticator(EventLoop& loop, Storage& storage, AuthShared& shared)
    : storage_(storage),
      shared_(shared),
      uses_(loop, storage, shared.settings.last_used_interval) {}

Error Authenticator::refuse(AuthOutcome why, std::string message) {
    shared_.counters.count(why);
    return Error::unauthorized(std::move(message));
}

void Authenticator::authenticate(std::optional<std::string_view> authorization,
                                 Callback<void(Result<Principal>)> done) {
    if (!authorization) return done(Principal{});
    std::string decoded;
    auto credential = credential_of(*authorization, decoded);
    if (!credential) {
        return done(refuse(AuthOutcome::Malformed,
                           "the Authorization header is not \"Bearer <token>\" (or Basic with "
                           "a token as the password)"));
    }
    if (looks_like_jwt(*credential)) return done(verify_jwt(*credential));
    if (!looks_like_token_secret(*credential)) {
        return done(refuse(AuthOutcome::Malformed,
                           "the bearer token is neither a Spoke API token nor a JWT"));
    }
    std::string hash = token_secret_hash(*credential);
    if (auto cached = shared_.tokens.get(hash, monotonic_ms())) {
        return done(admit_token(*cached, hash));
    }
    shared_.counters.lookups.fetch_add(1, std::memory_order_relaxed);
    const uint64_t generation = shared_.tokens.generation();
    storage_.find_token(hash, lifetime_.bind([this, hash, generation, done = std::move(done)](
                                                 Result<std::optional<ApiToken>> found) mutable {
        if (!found) return done(found.error());
        if (!found->has_value()) {
            return done(refuse(AuthOutcome::Unknown, "the bearer token is not a known token"));
        }
        shared_.tokens.put(**found, monotonic_ms(), generation);
        done(admit_token(**found, hash));
    }));
}

Result<Principal> Authenticator::admit_token(const ApiToken& token, const std::string& hash) {
    if (!equal_in_constant_time(token.secret_hash, hash)) {
        return refuse(AuthOutcome::Unknown, "the bearer token is not a known token");
    }
    if (token.revoked_at) {
        return refuse(AuthOutcome::Revoked, "the bearer token " + quote_value(token.name) +
                                                " was revoked at " +
                                                format_timestamp(*token.revoked_at));
    }
    const TimestampMs now = wall_ms();
    if (token.expires_at && *token.expires_at <= now) {
        return refuse(AuthOutcome::Expired, "the bearer token " + quote_value(token.name) +
                                                " expired at " +
                                                format_timestamp(*token.expires_at));
    }
    shared_.counters.token_ok.fetch_add(1, std::memory_order_relaxed);
    uses_.note(hash, now);
    Principal who;
    who.kind = Principal::Kind::ApiToken;
    who.id = token.id;
    who.name = token.name;
    who.scope = highest_scope(token.scopes);
    who.prefixes = token.prefixes;
    return who;
}

Result<Principal> Authenticator::verify_jwt(std::string_view token) {
    if (!shared_.jwt) {
        return refuse(AuthOutcome::JwtInvalid,
                      "this server accepts no JWT bearer tokens (SPOKE_AUTH_JWT_KEYS is not set)");
    }
    auto claims = shared_.jwt->verify(token, wall_ms());
    if (!claims) return refuse(AuthOutcome::JwtInvalid, claims.error().message);
    shared_.counters.jwt_ok.fetch_add(1, std::memory_order_relaxed);
    Principal who;
    who.kind = Principal::Kind::Jwt;
    who.id = "jwt:" + claims->subject;
    who.name = claims->subject;
    who.scope = highest_scope(claims->scopes);
    who.prefixes = std::move(claims->prefixes);
    return who;
}

}  // namespace spoke
