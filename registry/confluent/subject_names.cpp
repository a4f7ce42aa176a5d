#include "registry/confluent/subject_names.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "registry/digest.hpp"
#include "registry/names.hpp"

namespace spoke {
namespace {

void append_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

}  // namespace

Status validate_subject(std::string_view subject) {
    if (subject.empty()) return Error::bad_request("the subject is empty");
    if (subject.size() > kMaxSubjectBytes) {
        return Error::bad_request("the subject is longer than " + std::to_string(kMaxSubjectBytes) +
                                  " bytes");
    }
    if (!is_valid_utf8(subject)) return Error::bad_request("the subject is not UTF-8");
    const bool control = std::any_of(subject.begin(), subject.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7F;
    });
    if (control) return Error::bad_request("the subject holds a control character");
    return ok_status();
}

std::string schema_digest(std::string_view schema_type, std::string_view text,
                          const std::vector<SchemaReference>& references) {
    std::string bytes;
    bytes.reserve(text.size() + 64 * (references.size() + 1));
    append_field(bytes, schema_type);
    append_field(bytes, text);
    for (const auto& r : references) {
        append_field(bytes, r.name);
        append_field(bytes, r.subject);
        append_field(bytes, std::to_string(r.version));
    }
    return "sha256:" + sha256_hex(bytes);
}

std::optional<int64_t> parse_subject_version(std::string_view text) {
    if (text == "latest" || text == "-1") return 0;
    if (text.empty() || text.size() > 10) return std::nullopt;
    int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > INT32_MAX) return std::nullopt;
    return value;
}

bool is_compatibility_level(std::string_view level) {
    static constexpr std::array<std::string_view, 7> kLevels = {
        "NONE", "BACKWARD",       "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
        "FULL", "FULL_TRANSITIVE"};
    return std::find(kLevels.begin(), kLevels.end(), level) != kLevels.end();
}

bool is_subject_mode(std::string_view mode) {
    static constexpr std::array<std::string_view, 4> kModes = {"READWRITE", "READONLY",
                                                               "READONLY_OVERRIDE", "IMPORT"};
    return std::find(kModes.begin(), kModes.end(), mode) != kModes.end();
}

}  // namespace spoke
