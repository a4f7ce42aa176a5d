#include "handlers/json_codec.hpp"

#include <algorithm>
#include <cstdio>

#include "registry/names.hpp"

namespace spoke {
namespace {

// ---- Time: civil-date arithmetic (Howard Hinnant's algorithms), so no libc time zone state. ----

// ---- UTF-8 repair for json_text ----

// Length of the well-formed UTF-8 sequence at `p`, or 0 if it is not one.
size_t utf8_sequence_length(const unsigned char* p, size_t remaining) {
    const unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t len = 0;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
    } else {
        return 0;
    }
    if (remaining < len) return 0;
    return is_valid_utf8(std::string_view(reinterpret_cast<const char*>(p), len)) ? len : 0;
}

std::string repair_utf8(std::string_view s) {
    static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t i = 0;
    while (i < s.size()) {
        const size_t len = utf8_sequence_length(p + i, s.size() - i);
        if (len == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

int append_to_string(const char* buffer, size_t size, void* data) {
    static_cast<std::string*>(data)->append(buffer, size);
    return 0;
}

// ---- Building ----

void set(json_t* object, const char* key, JsonPtr value) {
    json_object_set_new(object, key, value.release());
}

JsonPtr json_uint(uint64_t v) {
    return JsonPtr(json_integer(static_cast<json_int_t>(v)));
}

JsonPtr source_info_to_json(const SourceInfo& s) {
    JsonPtr o(json_object());
    set(o.get(), "repository", json_text(s.repository));
    set(o.get(), "commit_sha", json_text(s.commit_sha));
    set(o.get(), "branch", json_text(s.branch));
    return o;
}

// The summary without files, so version_to_json can add its own file entries.
JsonPtr summary_head(const VersionRecord& r) {
    JsonPtr o(json_object());
    set(o.get(), "module_name", json_text(r.module_name));
    set(o.get(), "version", json_text(r.version));
    set(o.get(), "digest", json_text(r.digest));
    set(o.get(), "created_at", json_text(format_timestamp(r.created_at)));
    JsonPtr deps(json_array());
    for (const auto& d : r.dependencies) json_array_append_new(deps.get(), json_text(d).release());
    set(o.get(), "dependencies", std::move(deps));
    set(o.get(), "source_info", source_info_to_json(r.source_info));
    return o;
}

JsonPtr file_entry_to_json(const FileEntry& f) {
    JsonPtr o(json_object());
    set(o.get(), "path", json_text(f.path));
    set(o.get(), "sha256", json_text(f.sha256));
    set(o.get(), "size", json_uint(f.size));
    return o;
}

// ---- Reading: the parser's failure in our words (its own text names its options) ----

std::string_view json_error_reason(enum json_error_code code) {
    switch (code) {
        case json_error_null_character:
            return "a string contains a NUL character (\\u0000)";
        case json_error_null_byte_in_key:
            return "an object key contains a NUL character (\\u0000)";
        case json_error_premature_end_of_input:
            return "the body ends before the JSON value is complete";
        case json_error_end_of_input_expected:
            return "there is more text after the JSON value";
        case json_error_invalid_utf8:
            return "the text is not valid UTF-8";
        case json_error_numeric_overflow:
            return "a number is too large";
        case json_error_duplicate_key:
            return "an object has the same key twice";
        case json_error_stack_overflow:
            return "arrays and objects are nested too deeply";
        case json_error_invalid_syntax:
        case json_error_invalid_format:
            return "unexpected or malformed text";
        default:
            return "the text could not be read as JSON";
    }
}

}  // namespace

std::string describe_json_error(const json_error_t& error) {
    // Positions are 1-based; the parser says column 0 (or line 0) before it has read a character.
    const int line = std::max(error.line, 1);
    const int column = std::max(error.column, 1);
    return "the request body is not valid JSON: " +
           std::string(json_error_reason(json_error_code(&error))) + " at line " +
           std::to_string(line) + ", column " + std::to_string(column);
}

namespace {

// ---- Reading: every error names the field, e.g. "files[2].content" must be a string. ----

Error field_error(std::string_view label, std::string_view rule) {
    return Error::bad_request(quote_value(label).append(" ").append(rule));
}

std::string join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
}

std::string index_label(std::string_view array, size_t i) {
    return std::string(array) + "[" + std::to_string(i) + "]";
}

std::string string_of(const json_t* s) {
    return std::string(json_string_value(s), json_string_length(s));
}

// Absent or null: nullopt. Present: must be a string.
Result<std::optional<std::string>> optional_string(const json_t* object, const char* key,
                                                   std::string_view label) {
    const json_t* v = json_object_get(object, key);
    if (v == nullptr || json_is_null(v)) return std::optional<std::string>();
    if (!json_is_string(v)) return field_error(label, "must be a string");
    return std::optional<std::string>(string_of(v));
}

Result<std::string> required_string(const json_t* object, const char* key, std::string_view label) {
    auto v = optional_string(object, key, label);
    if (!v) return std::move(v).error();
    if (!v->has_value()) return field_error(label, "is required");
    return std::move(**v);
}

// Absent or null: empty. Present: must be an array of strings.
Result<std::vector<std::string>> string_array(const json_t* object, const char* key,
                                              std::string_view label) {
    const json_t* v = json_object_get(object, key);
    std::vector<std::string> out;
    if (v == nullptr || json_is_null(v)) return out;
    if (!json_is_array(v)) return field_error(label, "must be an array of strings");
    out.reserve(json_array_size(v));
    for (size_t i = 0; i < json_array_size(v); ++i) {
        const json_t* item = json_array_get(v, i);
        if (!json_is_string(item)) return field_error(index_label(label, i), "must be a string");
        out.push_back(string_of(item));
    }
    return out;
}

Result<uint64_t> required_uint(const json_t* object, const char* key, std::string_view label) {
    const json_t* v = json_object_get(object, key);
    if (v == nullptr) return field_error(label, "is required");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return field_error(label, "must be a non-negative integer");
    }
    return static_cast<uint64_t>(json_integer_value(v));
}

Result<TimestampMs> required_timestamp(const json_t* object, const char* key,
                                       std::string_view label) {
    auto text = required_string(object, key, label);
    if (!text) return std::move(text).error();
    auto ms = parse_timestamp(*text);
    if (!ms) return field_error(label, "must be an RFC 3339 UTC timestamp");
    return *ms;
}

Result<std::vector<ProtoFile>> decode_files(const json_t* array, std::string_view label) {
    if (!json_is_array(array)) return field_error(label, "must be an array of {path, content}");
    std::vector<ProtoFile> files;
    files.reserve(json_array_size(array));
    for (size_t i = 0; i < json_array_size(array); ++i) {
        const json_t* item = json_array_get(array, i);
        const std::string item_label = index_label(label, i);
        if (!json_is_object(item)) return field_error(item_label, "must be an object");
        auto path = required_string(item, "path", item_label + ".path");
        if (!path) return std::move(path).error();
        auto content = required_string(item, "content", item_label + ".content");
        if (!content) return std::move(content).error();
        files.push_back({std::move(*path), std::move(*content)});
    }
    return files;
}

Result<SourceInfo> decode_source_info(const json_t* object, std::string_view label) {
    SourceInfo info;
    if (object == nullptr || json_is_null(object)) return info;
    if (!json_is_object(object)) return field_error(label, "must be an object");
    struct Field {
        const char* key;
        std::string* target;
    };
    for (const Field& f : {Field{"repository", &info.repository},
                           Field{"commit_sha", &info.commit_sha}, Field{"branch", &info.branch}}) {
        auto v = optional_string(object, f.key, join(label, f.key));
        if (!v) return std::move(v).error();
        if (v->has_value()) *f.target = std::move(**v);
    }
    return info;
}

}  // namespace

JsonPtr json_text(std::string_view s) {
    if (json_t* v = json_stringn(s.data(), s.size())) return JsonPtr(v);
    const std::string repaired = repair_utf8(s);
    if (json_t* v = json_stringn(repaired.data(), repaired.size())) return JsonPtr(v);
    return JsonPtr(json_string(""));
}

std::string dump_json(const json_t* value) {
    std::string out;
    json_dump_callback(value, append_to_string, &out, JSON_COMPACT | JSON_ENCODE_ANY);
    return out;
}

JsonPtr module_to_json(const Module& m) {
    JsonPtr o(json_object());
    set(o.get(), "name", json_text(m.name));
    set(o.get(), "description", json_text(m.description));
    set(o.get(), "created_at", json_text(format_timestamp(m.created_at)));
    set(o.get(), "updated_at", json_text(format_timestamp(m.updated_at)));
    set(o.get(), "latest_version",
        m.latest_version ? json_text(*m.latest_version) : JsonPtr(json_null()));
    set(o.get(), "version_count", json_uint(m.version_count));
    return o;
}

JsonPtr version_summary_to_json(const VersionRecord& r) {
    JsonPtr o = summary_head(r);
    JsonPtr files(json_array());
    for (const auto& f : r.files)
        json_array_append_new(files.get(), file_entry_to_json(f).release());
    set(o.get(), "files", std::move(files));
    return o;
}

JsonPtr version_to_json(const VersionSnapshot& s) {
    JsonPtr o = summary_head(s.record);
    JsonPtr files(json_array());
    for (size_t i = 0; i < s.record.files.size(); ++i) {
        const FileEntry& entry = s.record.files[i];
        JsonPtr f = file_entry_to_json(entry);
        // Snapshots keep files in record order; fall back to a search if one does not.
        const ProtoFile* content =
            i < s.files.size() && s.files[i].path == entry.path ? &s.files[i] : nullptr;
        for (size_t k = 0; content == nullptr && k < s.files.size(); ++k) {
            if (s.files[k].path == entry.path) content = &s.files[k];
        }
        set(f.get(), "content", json_text(content ? std::string_view(content->content) : ""));
        json_array_append_new(files.get(), f.release());
    }
    set(o.get(), "files", std::move(files));
    return o;
}

JsonPtr diagnostic_to_json(const ProtoDiagnostic& d) {
    JsonPtr o(json_object());
    set(o.get(), "file", json_text(d.file));
    set(o.get(), "line", JsonPtr(json_integer(d.line)));
    set(o.get(), "column", JsonPtr(json_integer(d.column)));
    set(o.get(), "message", json_text(d.message));
    return o;
}

JsonPtr diagnostics_to_json(const std::vector<ProtoDiagnostic>& list) {
    JsonPtr a(json_array());
    for (const auto& d : list) json_array_append_new(a.get(), diagnostic_to_json(d).release());
    return a;
}

Result<JsonPtr> parse_json_object(std::string_view body) {
    if (body.empty()) return Error::bad_request("request body is empty; a JSON object is required");
    json_error_t err;
    JsonPtr root(json_loadb(body.data(), body.size(), JSON_REJECT_DUPLICATES, &err));
    if (!root) {
        if (json_error_code(&err) == json_error_out_of_memory) {
            return Error::internal("out of memory while parsing a JSON request body");
        }
        return Error::bad_request(describe_json_error(err));
    }
    if (!json_is_object(root.get()))
        return Error::bad_request("request body must be a JSON object");
    return root;
}

Result<TokenRequest> decode_token_request(const json_t* body) {
    TokenRequest out;
    auto name = required_string(body, "name", "name");
    if (!name) return std::move(name).error();
    out.name = std::move(*name);
    if (json_object_get(body, "scopes") == nullptr) return field_error("scopes", "is required");
    auto scopes = string_array(body, "scopes", "scopes");
    if (!scopes) return std::move(scopes).error();
    out.scopes = std::move(*scopes);
    auto prefixes = string_array(body, "prefixes", "prefixes");
    if (!prefixes) return std::move(prefixes).error();
    out.prefixes = std::move(*prefixes);
    auto expires = optional_string(body, "expires_at", "expires_at");
    if (!expires) return std::move(expires).error();
    if (expires->has_value()) {
        auto at = parse_timestamp(**expires);
        if (!at) {
            return field_error("expires_at",
                               "must be an RFC 3339 UTC time such as 2027-01-31T12:00:00.000Z");
        }
        out.expires_at = *at;
    }
    return out;
}

JsonPtr token_to_json(const ApiToken& token) {
    JsonPtr o(json_object());
    auto strings = [](const std::vector<std::string>& list) {
        JsonPtr a(json_array());
        for (const auto& s : list) json_array_append_new(a.get(), json_text(s).release());
        return a;
    };
    auto time_or_null = [](const std::optional<TimestampMs>& t) {
        return t ? json_text(format_timestamp(*t)) : JsonPtr(json_null());
    };
    set(o.get(), "id", json_text(token.id));
    set(o.get(), "name", json_text(token.name));
    set(o.get(), "scopes", strings(token.scopes));
    set(o.get(), "prefixes", strings(token.prefixes));
    set(o.get(), "expires_at", time_or_null(token.expires_at));
    set(o.get(), "created_at", json_text(format_timestamp(token.created_at)));
    set(o.get(), "last_used_at", time_or_null(token.last_used_at));
    set(o.get(), "revoked_at", time_or_null(token.revoked_at));
    return o;
}

Result<CreateModuleRequest> decode_create_module(const json_t* body) {
    CreateModuleRequest out;
    auto name = required_string(body, "name", "name");
    if (!name) return std::move(name).error();
    out.name = std::move(*name);
    auto description = optional_string(body, "description", "description");
    if (!description) return std::move(description).error();
    if (description->has_value()) out.description = std::move(**description);
    return out;
}

Result<PushRequest> decode_push_request(const json_t* body, std::string module) {
    PushRequest out;
    out.module = std::move(module);
    auto version = required_string(body, "version", "version");
    if (!version) return std::move(version).error();
    out.version = std::move(*version);

    const json_t* files = json_object_get(body, "files");
    if (files == nullptr || json_is_null(files)) return field_error("files", "is required");
    auto decoded = decode_files(files, "files");
    if (!decoded) return std::move(decoded).error();
    out.files = std::move(*decoded);

    auto deps = string_array(body, "dependencies", "dependencies");
    if (!deps) return std::move(deps).error();
    out.dependencies = std::move(*deps);

    auto info = decode_source_info(json_object_get(body, "source_info"), "source_info");
    if (!info) return std::move(info).error();
    out.source_info = std::move(*info);
    return out;
}

Result<ValidateRequest> decode_validate_request(const json_t* body) {
    ValidateRequest out;
    const json_t* files = json_object_get(body, "files");
    if (files != nullptr && !json_is_null(files)) {
        auto decoded = decode_files(files, "files");
        if (!decoded) return std::move(decoded).error();
        out.files = std::move(*decoded);
    } else {
        auto content = optional_string(body, "content", "content");
        if (!content) return std::move(content).error();
        if (!content->has_value()) {
            return Error::bad_request("either \"files\" or \"content\" is required");
        }
        out.files.push_back({"schema.proto", std::move(**content)});
    }
    auto deps = string_array(body, "dependencies", "dependencies");
    if (!deps) return std::move(deps).error();
    out.dependencies = std::move(*deps);
    return out;
}

Result<Module> module_from_json(const json_t* v) {
    if (!json_is_object(v)) return Error::bad_request("module must be a JSON object");
    Module m;
    auto name = required_string(v, "name", "name");
    if (!name) return std::move(name).error();
    m.name = std::move(*name);
    auto description = optional_string(v, "description", "description");
    if (!description) return std::move(description).error();
    m.description = description->value_or("");
    auto created = required_timestamp(v, "created_at", "created_at");
    if (!created) return std::move(created).error();
    m.created_at = *created;
    auto updated = required_timestamp(v, "updated_at", "updated_at");
    if (!updated) return std::move(updated).error();
    m.updated_at = *updated;
    auto latest = optional_string(v, "latest_version", "latest_version");
    if (!latest) return std::move(latest).error();
    m.latest_version = std::move(*latest);
    auto count = required_uint(v, "version_count", "version_count");
    if (!count) return std::move(count).error();
    m.version_count = *count;
    return m;
}

Result<VersionRecord> version_summary_from_json(const json_t* v) {
    if (!json_is_object(v)) return Error::bad_request("version must be a JSON object");
    VersionRecord r;
    for (auto [key, target] : {std::pair<const char*, std::string*>{"module_name", &r.module_name},
                               {"version", &r.version},
                               {"digest", &r.digest}}) {
        auto s = required_string(v, key, key);
        if (!s) return std::move(s).error();
        *target = std::move(*s);
    }
    auto created = required_timestamp(v, "created_at", "created_at");
    if (!created) return std::move(created).error();
    r.created_at = *created;
    auto deps = string_array(v, "dependencies", "dependencies");
    if (!deps) return std::move(deps).error();
    r.dependencies = std::move(*deps);
    auto info = decode_source_info(json_object_get(v, "source_info"), "source_info");
    if (!info) return std::move(info).error();
    r.source_info = std::move(*info);
    const json_t* files = json_object_get(v, "files");
    if (!json_is_array(files)) return field_error("files", "must be an array");
    for (size_t i = 0; i < json_array_size(files); ++i) {
        const json_t* item = json_array_get(files, i);
        const std::string label = index_label("files", i);
        if (!json_is_object(item)) return field_error(label, "must be an object");
        FileEntry e;
        auto path = required_string(item, "path", label + ".path");
        if (!path) return std::move(path).error();
        auto sha = required_string(item, "sha256", label + ".sha256");
        if (!sha) return std::move(sha).error();
        auto size = required_uint(item, "size", label + ".size");
        if (!size) return std::move(size).error();
        r.files.push_back({std::move(*path), std::move(*sha), *size});
    }
    return r;
}

JsonPtr lint_warnings_to_json(const std::vector<LintWarning>& warnings) {
    JsonPtr list(json_array());
    for (const LintWarning& w : warnings) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "rule", json_text(w.rule).release());
        json_object_set_new(o.get(), "file", json_text(w.file).release());
        json_object_set_new(o.get(), "line", json_integer(w.line));
        json_object_set_new(o.get(), "column", json_integer(w.column));
        json_object_set_new(o.get(), "message", json_text(w.message).release());
        json_array_append_new(list.get(), o.release());
    }
    return list;
}

}  // namespace spoke
