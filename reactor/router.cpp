#include "reactor/router.hpp"

#include <cassert>

#include "reactor/percent_encoding.hpp"

namespace spoke {

namespace {

// Segments of a path without allocating: "/a/b/c" -> {"a","b","c"}; a trailing slash yields an
// empty last segment. Paths with more segments than kMaxSegments keep the rest in the last one
// (no route is that deep except through a tail parameter, which re-splits it).
struct Segments {
    static constexpr size_t kMaxSegments = 32;
    std::array<std::string_view, kMaxSegments> items;
    size_t count = 0;
    std::string_view operator[](size_t i) const { return items[i]; }
    size_t size() const { return count; }
};

Segments split_path(std::string_view path) {
    Segments out;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    size_t start = 0;
    for (;;) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos || out.count + 1 == Segments::kMaxSegments) {
            out.items[out.count++] = path.substr(start);
            return out;
        }
        out.items[out.count++] = path.substr(start, slash - start);
        start = slash + 1;
    }
}

bool is_param(std::string_view seg) {
    return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

std::string_view method_name(HttpMethod m) {
    switch (m) {
        case HttpMethod::Get:
            return "GET";
        case HttpMethod::Head:
            return "HEAD";
        case HttpMethod::Post:
            return "POST";
        case HttpMethod::Put:
            return "PUT";
        case HttpMethod::Delete:
            return "DELETE";
        case HttpMethod::Patch:
            return "PATCH";
        case HttpMethod::Options:
            return "OPTIONS";
        case HttpMethod::Other:
            return "OTHER";
    }
    return "OTHER";
}

void RouteParams::set(std::string_view name, std::string value) {
    if (count_ < kMax) items_[count_++] = {name, std::move(value)};
}

const std::string& RouteParams::get(std::string_view name) const {
    static const std::string kEmpty;
    for (size_t i = 0; i < count_; ++i)
        if (items_[i].first == name) return items_[i].second;
    return kEmpty;
}

void Router::add(HttpMethod method, std::string_view pattern, RouteHandler handler) {
    Route r;
    r.method = method;
    r.name = std::string(method_name(method)) + " " + std::string(pattern);
    const Segments segs = split_path(pattern);
    for (size_t i = 0; i < segs.size(); ++i) r.segments.emplace_back(segs[i]);
    assert(!r.segments.empty());
    const std::string& last = r.segments.back();
    r.tail = last.size() > 5 && last.ends_with("...}");
    r.handler = std::move(handler);
    routes_.push_back(std::move(r));
}

std::vector<std::string> Router::route_names() const {
    std::vector<std::string> names;
    for (const auto& r : routes_) names.push_back(r.name);
    return names;
}

void Router::set_fallbacks(RouteHandler not_found, RouteHandler method_not_allowed,
                           RouteHandler bad_path) {
    not_found_ = std::move(not_found);
    method_not_allowed_ = std::move(method_not_allowed);
    bad_path_ = std::move(bad_path);
}

Router::Match Router::match(HttpMethod method, std::string_view raw_path) const {
    Match result;
    const auto segs = split_path(raw_path);
    // HEAD is served by GET routes (the exchange sends the head without the body).
    const HttpMethod wanted = method == HttpMethod::Head ? HttpMethod::Get : method;
    for (size_t index = 0; index < routes_.size(); ++index) {
        const Route& r = routes_[index];
        const size_t fixed = r.tail ? r.segments.size() - 1 : r.segments.size();
        if (r.tail ? segs.size() <= fixed : segs.size() != fixed) continue;
        bool ok = true;
        for (size_t i = 0; i < fixed && ok; ++i) {
            ok = is_param(r.segments[i]) ? !segs[i].empty() : segs[i] == r.segments[i];
        }
        if (!ok) continue;
        if (r.method != wanted) {
            if (!result.allow.empty()) result.allow += ", ";
            result.allow += method_name(r.method);
            continue;
        }
        Match m;
        m.route = r.name;
        m.index = index;
        m.handler = &r.handler;
        for (size_t i = 0; i < fixed; ++i) {
            if (!is_param(r.segments[i])) continue;
            auto decoded = percent_decode(segs[i]);
            if (!decoded) {
                result.bad_encoding = true;
                return result;
            }
            std::string_view name(r.segments[i]);
            m.params.set(name.substr(1, name.size() - 2), std::move(*decoded));
        }
        if (r.tail) {
            std::string joined;
            for (size_t i = fixed; i < segs.size(); ++i) {
                auto decoded = percent_decode(segs[i]);
                if (!decoded) {
                    result.bad_encoding = true;
                    return result;
                }
                if (i > fixed) joined.push_back('/');
                joined += *decoded;
            }
            std::string_view name(r.segments.back());
            m.params.set(name.substr(1, name.size() - 5), std::move(joined));
        }
        return m;
    }
    return result;
}

}  // namespace spoke
