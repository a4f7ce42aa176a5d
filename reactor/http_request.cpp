#include "reactor/http_request.hpp"

namespace spoke {

namespace {
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
    for (const Field& f : headers_) {
        if (equals_ignore_case(name_of(f), name)) return value_of(f);
    }
    return std::nullopt;
}

size_t HttpRequest::count_headers(std::string_view name) const {
    size_t n = 0;
    for (const Field& f : headers_) n += equals_ignore_case(name_of(f), name) ? 1 : 0;
    return n;
}

void HttpRequest::append_name(std::string_view piece) {
    fields_.append(piece);
    headers_.back().name_size += piece.size();
}

void HttpRequest::append_value(std::string_view piece) {
    fields_.append(piece);
    headers_.back().value_size += piece.size();
}

void HttpRequest::end_value() {
    Field& f = headers_.back();
    while (f.value_size > 0) {
        const char c = fields_[f.value_offset + f.value_size - 1];
        if (c != ' ' && c != '\t') break;
        --f.value_size;
    }
}

}  // namespace spoke
