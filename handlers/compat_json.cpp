#include "handlers/compat_json.hpp"

#include "handlers/error_response.hpp"

namespace spoke {
namespace {

constexpr const char* kLevelNames =
    "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE";

void set(json_t* object, const char* key, JsonPtr value) {
    json_object_set_new(object, key, value.release());
}

JsonPtr json_int(int v) {
    return JsonPtr(json_integer(v));
}

JsonPtr finding_to_json(const CompatFinding& f, bool against_several) {
    const Violation& v = f.violation;
    JsonPtr o(json_object());
    set(o.get(), "rule", json_text(v.rule));
    set(o.get(), "level", json_text(violation_level_name(v.level)));
    set(o.get(), "message", json_text(v.message));
    set(o.get(), "file", json_text(v.file));
    set(o.get(), "line", json_int(v.line));
    set(o.get(), "element", json_text(v.element));
    set(o.get(), "old_value", json_text(v.old_value));
    set(o.get(), "new_value", json_text(v.new_value));
    if (against_several) set(o.get(), "against_version", json_text(f.against_version));
    return o;
}

JsonPtr change_to_json(const SchemaChange& c) {
    JsonPtr o(json_object());
    set(o.get(), "type", json_text(c.type));
    set(o.get(), "severity", json_text(c.severity));
    set(o.get(), "element", json_text(c.element));
    set(o.get(), "file", json_text(c.file));
    set(o.get(), "old_value", json_text(c.old_value));
    set(o.get(), "new_value", json_text(c.new_value));
    set(o.get(), "description", json_text(c.description));
    return o;
}

// The sentence of the gate's 409: the first error, and how many more there are.
std::string incompatible_sentence(const CompatOutcome& outcome) {
    const CompatFinding* first = nullptr;
    for (const auto& f : outcome.findings) {
        if (f.violation.level == ViolationLevel::Error) {
            first = &f;
            break;
        }
    }
    std::string s = "version " + quote_value(outcome.new_version) + " breaks " +
                    compat_mode_name(outcome.mode) + " compatibility";
    if (first == nullptr) return s;
    s += " with " + quote_value(first->against_version) + ": " + first->violation.message;
    if (outcome.error_count > 1) {
        s += " (and " + std::to_string(outcome.error_count - 1) + " more error" +
             (outcome.error_count > 2 ? "s" : "") + ")";
    }
    return s;
}

Error field_error(std::string_view label, std::string_view rule) {
    return Error::bad_request(quote_value(label).append(" ").append(rule));
}

Result<std::string> required_string(const json_t* body, const char* key) {
    const json_t* v = json_object_get(body, key);
    if (v == nullptr || json_is_null(v)) return field_error(key, "is required");
    if (!json_is_string(v)) return field_error(key, "must be a string");
    return std::string(json_string_value(v), json_string_length(v));
}

}  // namespace

JsonPtr compat_outcome_to_json(const CompatOutcome& outcome) {
    JsonPtr o(json_object());
    set(o.get(), "compatible", JsonPtr(json_boolean(outcome.compatible())));
    set(o.get(), "mode", json_text(compat_mode_name(outcome.mode)));
    set(o.get(), "old_version",
        outcome.old_version.empty() ? JsonPtr(json_null()) : json_text(outcome.old_version));
    set(o.get(), "new_version", json_text(outcome.new_version));
    JsonPtr violations(json_array());
    for (const auto& f : outcome.findings) {
        json_array_append_new(violations.get(),
                              finding_to_json(f, outcome.against_several).release());
    }
    set(o.get(), "violations", std::move(violations));
    set(o.get(), "error_count", json_int(outcome.error_count));
    set(o.get(), "warning_count", json_int(outcome.warning_count));
    set(o.get(), "info_count", json_int(outcome.info_count));
    return o;
}

JsonPtr incompatible_push_to_json(const CompatOutcome& outcome) {
    JsonPtr o = compat_outcome_to_json(outcome);
    set(o.get(), "error", json_text(incompatible_sentence(outcome)));
    set(o.get(), "code", json_text(error_code_name(ErrorCode::Incompatible)));
    return o;
}

JsonPtr schema_diff_to_json(std::string_view from_version, std::string_view to_version,
                            const std::vector<SchemaChange>& changes) {
    JsonPtr o(json_object());
    set(o.get(), "from_version", json_text(from_version));
    set(o.get(), "to_version", json_text(to_version));
    JsonPtr list(json_array());
    for (const auto& c : changes) json_array_append_new(list.get(), change_to_json(c).release());
    set(o.get(), "changes", std::move(list));
    return o;
}

JsonPtr compat_config_to_json(std::string_view level) {
    JsonPtr o(json_object());
    set(o.get(), "compatibility", json_text(level));
    return o;
}

Result<CompatMode> parse_level(std::string_view text, std::string_view label) {
    if (auto mode = parse_compat_mode(text)) return *mode;
    return field_error(label,
                       std::string("must be one of ") + kLevelNames + ", not " + quote_value(text));
}

Result<CompatMode> decode_compat_config(const json_t* body) {
    auto level = required_string(body, "compatibility");
    if (!level) return std::move(level).error();
    return parse_level(*level, "compatibility");
}

Result<CompatCheckRequest> decode_compat_check(const json_t* body) {
    CompatCheckRequest out;
    auto old_version = required_string(body, "old_version");
    if (!old_version) return std::move(old_version).error();
    out.old_version = std::move(*old_version);
    auto new_version = required_string(body, "new_version");
    if (!new_version) return std::move(new_version).error();
    out.new_version = std::move(*new_version);
    const json_t* mode = json_object_get(body, "mode");
    if (mode != nullptr && !json_is_null(mode)) {
        if (!json_is_string(mode)) return field_error("mode", "must be a string");
        auto parsed = parse_level(
            std::string_view(json_string_value(mode), json_string_length(mode)), "mode");
        if (!parsed) return std::move(parsed).error();
        out.mode = *parsed;
    }
    return out;
}

Result<DiffRequest> decode_diff_request(const json_t* body) {
    DiffRequest out;
    auto from = required_string(body, "from_version");
    if (!from) return std::move(from).error();
    out.from_version = std::move(*from);
    auto to = required_string(body, "to_version");
    if (!to) return std::move(to).error();
    out.to_version = std::move(*to);
    return out;
}

}  // namespace spoke
