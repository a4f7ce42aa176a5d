#include "services/auth/jwt_verifier.hpp"

#include <algorithm>
#include <utility>

#include "services/auth/jwt_handles.hpp"
#include "services/auth/jwt_signature.hpp"
#include "services/auth/jwt_token.hpp"

namespace spoke {
namespace {

// Far above any identity provider's token, far below what the header limit lets through.
constexpr size_t kMaxTokenBytes = 8 * 1024;
constexpr std::chrono::seconds kMaxClockSkew{3600};
// 9999-12-31T23:59:59Z: a NumericDate beyond it is garbage, and the milliseconds stay in range.
constexpr int64_t kMaxNumericDate = 253402300799;

enum class DateClaim { Missing, Invalid, Present };

// A NumericDate claim (seconds, RFC 7519 §2) in milliseconds.
DateClaim read_date(const json_t* claims, const char* name, TimestampMs& out) {
    const json_t* v = json_object_get(claims, name);
    if (v == nullptr) return DateClaim::Missing;
    double seconds = 0;
    if (json_is_integer(v)) {
        seconds = static_cast<double>(json_integer_value(v));
    } else if (json_is_real(v)) {
        seconds = json_real_value(v);
    } else {
        return DateClaim::Invalid;
    }
    if (!(seconds >= 0 && seconds <= static_cast<double>(kMaxNumericDate))) {
        return DateClaim::Invalid;
    }
    out = static_cast<TimestampMs>(seconds * 1000);
    return DateClaim::Present;
}

// A claim that is a space-separated string or an array of strings; absent or null is empty.
Result<std::vector<std::string>> read_string_list(const json_t* claims, const std::string& name) {
    const json_t* v = json_object_get(claims, name.c_str());
    std::vector<std::string> items;
    if (v == nullptr || json_is_null(v)) return items;
    auto not_a_list = [&] {
        return Error::unauthorized("the bearer token's " + name +
                                   " claim is neither a string nor an array of strings");
    };
    if (json_is_string(v)) {
        std::string_view text(json_string_value(v), json_string_length(v));
        while (!text.empty()) {
            size_t end = text.find(' ');
            if (end != 0) items.emplace_back(text.substr(0, end));
            text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        }
        return items;
    }
    if (!json_is_array(v)) return not_a_list();
    for (size_t i = 0; i < json_array_size(v); ++i) {
        const json_t* item = json_array_get(v, i);
        if (!json_is_string(item)) return not_a_list();
        if (json_string_length(item) > 0) {
            items.emplace_back(json_string_value(item), json_string_length(item));
        }
    }
    return items;
}

bool is_string_equal(const json_t* v, std::string_view expected) {
    return json_is_string(v) &&
           std::string_view(json_string_value(v), json_string_length(v)) == expected;
}

bool audience_holds(const json_t* aud, std::string_view expected) {
    if (is_string_equal(aud, expected)) return true;
    if (!json_is_array(aud)) return false;
    for (size_t i = 0; i < json_array_size(aud); ++i) {
        if (is_string_equal(json_array_get(aud, i), expected)) return true;
    }
    return false;
}

Status check_times(const json_t* claims, const JwtSettings& settings, TimestampMs now,
                   JwtClaims& out) {
    const int64_t skew_ms = std::chrono::milliseconds(settings.clock_skew).count();
    TimestampMs exp = 0;
    switch (read_date(claims, "exp", exp)) {
        case DateClaim::Missing:
            return Error::unauthorized("the bearer token has no exp");
        case DateClaim::Invalid:
            return Error::unauthorized("the bearer token's exp is not a valid time");
        case DateClaim::Present:
            break;
    }
    if (now >= exp + skew_ms) {
        return Error::unauthorized("the bearer token expired at " + format_timestamp(exp));
    }
    out.expires_at = exp;
    TimestampMs nbf = 0;
    switch (read_date(claims, "nbf", nbf)) {
        case DateClaim::Invalid:
            return Error::unauthorized("the bearer token's nbf is not a valid time");
        case DateClaim::Present:
            if (nbf > now + skew_ms) {
                return Error::unauthorized("the bearer token is not valid before " +
                                           format_timestamp(nbf));
            }
            break;
        case DateClaim::Missing:
            break;
    }
    TimestampMs iat = 0;
    switch (read_date(claims, "iat", iat)) {
        case DateClaim::Invalid:
            return Error::unauthorized("the bearer token's iat is not a valid time");
        case DateClaim::Present:
            if (iat > now + skew_ms) {
                return Error::unauthorized("the bearer token was issued in the future, at " +
                                           format_timestamp(iat));
            }
            break;
        case DateClaim::Missing:
            break;
    }
    return ok_status();
}

Result<JwtClaims> read_claims(const json_t* claims, const JwtSettings& settings, TimestampMs now) {
    JwtClaims out;
    if (auto times = check_times(claims, settings, now, out); !times.ok()) return times.error();

    const json_t* sub = json_object_get(claims, "sub");
    if (!json_is_string(sub) || json_string_length(sub) == 0) {
        return Error::unauthorized("the bearer token has no sub");
    }
    out.subject.assign(json_string_value(sub), json_string_length(sub));

    const json_t* iss = json_object_get(claims, "iss");
    if (!settings.issuer.empty() && !is_string_equal(iss, settings.issuer)) {
        return Error::unauthorized("the bearer token's issuer is not " +
                                   quote_value(settings.issuer));
    }
    if (json_is_string(iss)) out.issuer.assign(json_string_value(iss), json_string_length(iss));

    if (!settings.audience.empty() &&
        !audience_holds(json_object_get(claims, "aud"), settings.audience)) {
        return Error::unauthorized("the bearer token's audience is not " +
                                   quote_value(settings.audience));
    }

    auto scopes = read_string_list(claims, settings.scope_claim);
    if (!scopes.ok()) return std::move(scopes).error();
    // Scopes an identity provider grants for other services are none of Spoke's business.
    for (std::string& scope : *scopes) {
        if (scope == "read" || scope == "write" || scope == "admin") {
            out.scopes.push_back(std::move(scope));
        }
    }
    std::sort(out.scopes.begin(), out.scopes.end());
    out.scopes.erase(std::unique(out.scopes.begin(), out.scopes.end()), out.scopes.end());

    auto prefixes = read_string_list(claims, settings.prefix_claim);
    if (!prefixes.ok()) return std::move(prefixes).error();
    for (std::string& prefix : *prefixes) {
        if (std::find(out.prefixes.begin(), out.prefixes.end(), prefix) == out.prefixes.end()) {
            out.prefixes.push_back(std::move(prefix));
        }
    }
    return out;
}

}  // namespace

Result<std::unique_ptr<JwtVerifier>> JwtVerifier::create(JwtSettings settings) {
    if (settings.keys_file.empty()) return Error::bad_request("the JWT key file is not set");
    if (settings.clock_skew < std::chrono::seconds(0) || settings.clock_skew > kMaxClockSkew) {
        return Error::bad_request("the JWT clock skew must be from 0 to " +
                                  std::to_string(kMaxClockSkew.count()) + " seconds");
    }
    if (settings.scope_claim.empty() || settings.prefix_claim.empty()) {
        return Error::bad_request("the JWT scope and prefix claim names must not be empty");
    }
    auto keys = JwtKeySet::load(settings.keys_file);
    if (!keys.ok()) return std::move(keys).error();
    return std::make_unique<JwtVerifier>(Built{}, std::move(settings), std::move(*keys));
}

std::shared_ptr<const JwtKeySet> JwtVerifier::key_set() const {
    std::lock_guard<std::mutex> lock(keys_mutex_);
    return keys_;
}

Status JwtVerifier::reload() {
    auto fresh = JwtKeySet::load(settings_.keys_file);
    if (!fresh.ok()) return std::move(fresh).error();
    std::shared_ptr<const JwtKeySet> old;
    {
        std::lock_guard<std::mutex> lock(keys_mutex_);
        old = std::exchange(keys_, std::move(*fresh));
    }
    return ok_status();  // `old` is freed here, outside the lock, unless a verify() holds it
}

Result<JwtClaims> JwtVerifier::verify(std::string_view token, TimestampMs now) const {
    if (token.empty()) return Error::unauthorized("the bearer token is empty");
    if (token.size() > kMaxTokenBytes) {
        return Error::unauthorized("the bearer token is longer than " +
                                   std::to_string(kMaxTokenBytes) + " bytes");
    }
    auto parsed = parse_jwt_token(token);
    if (!parsed.ok()) return std::move(parsed).error();
    const std::shared_ptr<const JwtKeySet> keys = key_set();
    if (auto signature = verify_jwt_signature(*parsed, token, *keys); !signature.ok()) {
        return signature.error();
    }
    return read_claims(parsed->claims.get(), settings_, now);
}

}  // namespace spoke
