#pragma once
// Router: maps method + path pattern to a handler; extracts and percent-decodes path parameters.

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reactor/http_exchange.hpp"
#include "reactor/percent_encoding.hpp"

namespace spoke {

// Decoded path parameters of a matched route, by name.
class RouteParams {
  public:
    static constexpr size_t kMax = 8;  // more parameters than any pattern has
    void set(std::string_view name, std::string value);
    // Empty string when absent (patterns guarantee presence of their own parameters).
    const std::string& get(std::string_view name) const;

  private:
    // Inline storage: matching a request allocates nothing beyond long decoded values.
    std::array<std::pair<std::string_view, std::string>, kMax> items_;
    size_t count_ = 0;
};

using RouteHandler = std::function<void(HttpExchange&, const RouteParams&)>;

class Router {
  public:
    // Pattern segments: literal, "{name}" (one segment), or a final "{name...}" (the rest,
    // '/'-joined). `name` must be a string literal or otherwise outlive the router.
    void add(HttpMethod method, std::string_view pattern, RouteHandler handler);

    struct Match {
        const RouteHandler* handler = nullptr;  // null: no route
        std::string_view route;                 // "GET /modules/{name}"
        size_t index = 0;                       // position in registration order
        RouteParams params;
        std::string allow;  // set when the path matched but the method did not ("GET, POST")
        bool bad_encoding = false;  // a segment had invalid percent-encoding or decoded to NUL
    };
    Match match(HttpMethod method, std::string_view raw_path) const;

    // Handlers for what matches no route; they receive the Match's `allow` as param "allow".
    void set_fallbacks(RouteHandler not_found, RouteHandler method_not_allowed,
                       RouteHandler bad_path);
    const RouteHandler& not_found() const { return not_found_; }
    const RouteHandler& method_not_allowed() const { return method_not_allowed_; }
    const RouteHandler& bad_path() const { return bad_path_; }
    // "GET /modules/{name}", ... in registration order.
    std::vector<std::string> route_names() const;

  private:
    struct Route {
        HttpMethod method;
        std::string name;                   // "GET /modules/{name}"
        std::vector<std::string> segments;  // pattern segments
        bool tail = false;                  // last segment is "{x...}"
        RouteHandler handler;
    };
    std::vector<Route> routes_;
    RouteHandler not_found_;
    RouteHandler method_not_allowed_;
    RouteHandler bad_path_;
};

}  // namespace spoke
