#pragma once
// HttpRequest: one parsed HTTP/1.x request (head and whole body), owned by its exchange.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reactor/http_method.hpp"

namespace spoke {

class HttpRequest {
  public:
    HttpMethod method = HttpMethod::Other;
    int version_minor = 1;  // HTTP/1.0 or HTTP/1.1: nothing else gets this far
    std::string target;     // the request target as sent (origin or absolute form)
    std::string path;       // still percent-encoded; "/" for an absolute form without a path
    std::string query;      // without the '?'; empty when none
    std::string body;
    bool keep_alive = true;
    bool expect_continue = false;
    bool chunked = false;
    uint64_t content_length = 0;  // declared; 0 when chunked or absent

    // First header of that name (case-insensitive), value without surrounding whitespace.
    std::optional<std::string_view> header(std::string_view name) const;
    size_t header_count() const { return headers_.size(); }
    size_t count_headers(std::string_view name) const;

    // Used by the parser: the name and value bytes arrive in pieces.
    void begin_header() { headers_.push_back({fields_.size(), 0, 0, 0}); }
    void append_name(std::string_view piece);
    void begin_value() { headers_.back().value_offset = fields_.size(); }
    void append_value(std::string_view piece);
    void end_value();  // trims trailing whitespace

  private:
    struct Field {
        size_t name_offset, name_size, value_offset, value_size;
    };
    std::string_view name_of(const Field& f) const {
        return {fields_.data() + f.name_offset, f.name_size};
    }
    std::string_view value_of(const Field& f) const {
        return {fields_.data() + f.value_offset, f.value_size};
    }
    std::string fields_;  // every name and value, back to back: one allocation for the head
    std::vector<Field> headers_;
};

// Case-insensitive ASCII comparison (header names, tokens).
bool equals_ignore_case(std::string_view a, std::string_view b);

}  // namespace spoke
