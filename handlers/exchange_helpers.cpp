#include "handlers/exchange_helpers.hpp"

#include <cctype>

#include "handlers/error_response.hpp"
#include "reactor/http_exchange.hpp"
#include "registry/names.hpp"

namespace spoke {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace

void reply_json(HttpExchange& ex, int status, const json_t* value) {
    ex.reply(status, kJsonContentType, dump_json(value));
}

bool is_json_content_type(std::optional<std::string_view> content_type) {
    if (!content_type) return true;
    std::string_view media = content_type->substr(0, content_type->find(';'));
    return iequals(trim(media), "application/json");
}

std::optional<JsonPtr> read_json_body(HttpExchange& ex) {
    const auto content_type = ex.header("Content-Type");
    if (!is_json_content_type(content_type)) {
        reply_unsupported_media_type(ex, *content_type);
        return std::nullopt;
    }
    auto parsed = parse_json_object(ex.body());
    if (!parsed) {
        reply_error(ex, parsed.error());
        return std::nullopt;
    }
    return std::move(parsed).value();
}

std::string quoted_etag(std::string_view tag) {
    std::string out;
    out.reserve(tag.size() + 2);
    out += '"';
    out += tag;
    out += '"';
    return out;
}

bool if_none_match_hits(std::string_view header, std::string_view etag) {
    // If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view candidate = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        if (candidate == "*") return true;
        if (candidate.starts_with("W/")) candidate.remove_prefix(2);
        if (candidate == etag) return true;
    }
    return false;
}

void reply_cached(HttpExchange& ex, const CachedResponse& response) {
    reply_immutable(ex, response.content_type, response.body, response.etag);
}

void reply_immutable(HttpExchange& ex, std::string_view content_type,
                     std::shared_ptr<const std::string> body, std::string_view etag) {
    ex.add_header("ETag", etag);
    if (auto inm = ex.header("If-None-Match"); inm && if_none_match_hits(*inm, etag)) {
        ex.reply(304, "", std::string());
        return;
    }
    ex.reply_shared(200, content_type, std::move(body));
}

bool reply_if_impossible_name(HttpExchange& ex, std::string_view module,
                              std::optional<std::string_view> version) {
    if (!validate_module_name(module)) {
        reply_error(ex, Error::not_found("module " + quote_value(module) + " not found"));
        return true;
    }
    if (version && *version != "latest" && !validate_version_name(*version)) {
        reply_error(ex, Error::not_found("version " + quote_value(*version) + " of module " +
                                         quote_value(module) + " not found"));
        return true;
    }
    return false;
}

Result<std::optional<uint64_t>> query_uint(const HttpExchange& ex, std::string_view key) {
    const auto raw = ex.query(key);
    if (!raw) return std::optional<uint64_t>();
    const auto bad = [&] {
        return Error::bad_request("query parameter \"" + std::string(key) +
                                  "\" must be a non-negative integer");
    };
    if (raw->empty() || raw->size() > 19) return bad();
    uint64_t value = 0;
    for (char c : *raw) {
        if (c < '0' || c > '9') return bad();
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return std::optional<uint64_t>(value);
}

Result<bool> query_bool(const HttpExchange& ex, std::string_view key, bool fallback) {
    const auto raw = ex.query(key);
    if (!raw) return fallback;
    if (*raw == "true" || *raw == "1") return true;
    if (*raw == "false" || *raw == "0") return false;
    return Error::bad_request("query parameter \"" + std::string(key) +
                              "\" must be \"true\" or \"false\"");
}

}  // namespace spoke
