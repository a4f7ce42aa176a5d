#include "registry/lint/name_case.hpp"

#include <vector>

namespace spoke {
namespace {

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
char upper(char c) {
    return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}
char lower(char c) {
    return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

// Words separated by single underscores, each of characters accepted by `in_word`.
template <class InWord>
bool is_snake_case(std::string_view name, InWord in_word) {
    if (name.empty() || is_digit(name.front())) return false;
    bool word_open = false;
    for (char c : name) {
        if (c == '_') {
            if (!word_open) return false;  // leading or doubled underscore
            word_open = false;
        } else if (in_word(c)) {
            word_open = true;
        } else {
            return false;
        }
    }
    return word_open;  // no trailing underscore
}

// Splits at underscores and at case changes: "fooBar" -> foo|Bar, "HTTPServer" -> HTTP|Server,
// "foo2Bar" -> foo2|Bar.
std::vector<std::string> split_words(std::string_view name) {
    std::vector<std::string> words;
    std::string word;
    auto close_word = [&] {
        if (!word.empty()) words.push_back(std::move(word));
        word.clear();
    };
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '_' || c == '-') {
            close_word();
            continue;
        }
        if (is_upper(c) && !word.empty()) {
            const char prev = word.back();
            const bool next_is_lower = i + 1 < name.size() && is_lower(name[i + 1]);
            if (is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_is_lower)) close_word();
        }
        word.push_back(c);
    }
    close_word();
    return words;
}

template <class Transform>
std::string join_snake(std::string_view name, Transform transform) {
    std::string out;
    for (const std::string& word : split_words(name)) {
        if (!out.empty()) out.push_back('_');
        for (char c : word) out.push_back(transform(c));
    }
    return out;
}

}  // namespace

bool is_pascal_case(std::string_view name) {
    if (name.empty() || !is_upper(name.front())) return false;
    return name.find('_') == std::string_view::npos;
}

bool is_lower_snake_case(std::string_view name) {
    return is_snake_case(name, [](char c) { return is_lower(c) || is_digit(c); });
}

bool is_upper_snake_case(std::string_view name) {
    return is_snake_case(name, [](char c) { return is_upper(c) || is_digit(c); });
}

std::string to_pascal_case(std::string_view name) {
    // buf's ToPascalCase: drop delimiters, capitalise each word's first letter, keep the
    // uppercase letters already there (so acronyms survive).
    std::string out;
    bool word_start = true;
    for (char c : name) {
        if (c == '_' || c == '-') {
            word_start = true;
            continue;
        }
        out.push_back(word_start ? upper(c) : c);
        word_start = false;
    }
    return out;
}

std::string to_lower_snake_case(std::string_view name) {
    return join_snake(name, lower);
}

std::string to_upper_snake_case(std::string_view name) {
    return join_snake(name, upper);
}

}  // namespace spoke
