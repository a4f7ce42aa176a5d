#include "backends/filesystem/record_json.hpp"

#include <jansson.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "backends/schema_references_json.hpp"

namespace spoke::fsjson {
namespace {

struct JsonDeleter {
    void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
};

Error bad(std::string what) {
    return Error::internal("stored record is malformed: " + what);
}

// Adds `value` under `key`; false if jansson refused it (invalid UTF-8 or out of memory).
bool set(json_t* obj, const char* key, json_t* value) {
    return value != nullptr && json_object_set_new(obj, key, value) == 0;
}

bool set_string(json_t* obj, const char* key, const std::string& s) {
    return set(obj, key, json_stringn(s.data(), s.size()));
}

Result<std::string> dump(json_t* root) {
    std::unique_ptr<char, FreeDeleter> text(json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS));
    if (!text) return Error::internal("could not serialize a stored record");
    return std::string(text.get());
}

Result<JsonPtr> parse_object(std::string_view text) {
    json_error_t err;
    JsonPtr root(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err));
    if (!root) return bad(std::string("not JSON (") + err.text + ")");
    if (!json_is_object(root.get())) return bad("not an object");
    return root;
}

bool get_string(json_t* obj, const char* key, std::string& out) {
    json_t* v = json_object_get(obj, key);
    if (!json_is_string(v)) return false;
    out.assign(json_string_value(v), json_string_length(v));
    return true;
}

bool get_int(json_t* obj, const char* key, int64_t& out) {
    json_t* v = json_object_get(obj, key);
    if (!json_is_integer(v)) return false;
    out = static_cast<int64_t>(json_integer_value(v));
    return true;
}

// Missing or null source fields read as empty.
bool get_optional_string(json_t* obj, const char* key, std::string& out) {
    json_t* v = json_object_get(obj, key);
    if (v == nullptr || json_is_null(v)) return true;
    return get_string(obj, key, out);
}

bool set_optional_time(json_t* obj, const char* key, const std::optional<TimestampMs>& t) {
    return set(obj, key, t ? json_integer(*t) : json_null());
}

bool set_strings(json_t* obj, const char* key, const std::vector<std::string>& items) {
    JsonPtr array(json_array());
    if (!array) return false;
    for (const auto& s : items) {
        if (json_array_append_new(array.get(), json_stringn(s.data(), s.size())) != 0) return false;
    }
    return json_object_set(obj, key, array.get()) == 0;
}

// Missing or null: unset.
bool get_optional_time(json_t* obj, const char* key, std::optional<TimestampMs>& out) {
    json_t* v = json_object_get(obj, key);
    if (v == nullptr || json_is_null(v)) return true;
    int64_t t = 0;
    if (!get_int(obj, key, t)) return false;
    out = t;
    return true;
}

// An array of strings; a missing one reads as empty only when `required` is false.
bool get_strings(json_t* obj, const char* key, bool required, std::vector<std::string>& out) {
    json_t* array = json_object_get(obj, key);
    if (array == nullptr) return !required;
    if (!json_is_array(array)) return false;
    size_t i;
    json_t* v;
    json_array_foreach(array, i, v) {
        if (!json_is_string(v)) return false;
        out.emplace_back(json_string_value(v), json_string_length(v));
    }
    return true;
}

}  // namespace

Result<std::string> encode_module(const Module& module) {
    JsonPtr root(json_object());
    if (!root || !set_string(root.get(), "name", module.name) ||
        !set_string(root.get(), "description", module.description) ||
        !set(root.get(), "created_at", json_integer(module.created_at)) ||
        !set(root.get(), "updated_at", json_integer(module.updated_at)) ||
        !set_string(root.get(), "compatibility", module.compatibility)) {
        return Error::internal("could not serialize a module record");
    }
    return dump(root.get());
}

Result<Module> decode_module(std::string_view json) {
    auto root = parse_object(json);
    if (!root) return std::move(root).error();
    json_t* obj = root->get();
    Module m;
    if (!get_string(obj, "name", m.name)) return bad("name");
    if (!get_optional_string(obj, "description", m.description)) return bad("description");
    if (!get_int(obj, "created_at", m.created_at)) return bad("created_at");
    if (!get_int(obj, "updated_at", m.updated_at)) m.updated_at = m.created_at;
    // Records written before levels existed have none: the default level applies.
    json_t* level = json_object_get(obj, "compatibility");
    if (level != nullptr && !get_string(obj, "compatibility", m.compatibility)) {
        return bad("compatibility");
    }
    return m;
}

Result<std::string> encode_version(const VersionRecord& r) {
    JsonPtr root(json_object());
    JsonPtr deps(json_array());
    JsonPtr source(json_object());
    JsonPtr files(json_array());
    if (!root || !deps || !source || !files) return Error::internal("out of memory");
    bool ok = set_string(root.get(), "module_name", r.module_name) &&
              set_string(root.get(), "version", r.version) &&
              set_string(root.get(), "digest", r.digest) &&
              set(root.get(), "created_at", json_integer(r.created_at));
    for (const auto& d : r.dependencies) {
        ok = ok && json_array_append_new(deps.get(), json_stringn(d.data(), d.size())) == 0;
    }
    ok = ok && set_string(source.get(), "repository", r.source_info.repository) &&
         set_string(source.get(), "commit_sha", r.source_info.commit_sha) &&
         set_string(source.get(), "branch", r.source_info.branch);
    for (const auto& f : r.files) {
        JsonPtr entry(json_object());
        ok = ok && entry && set_string(entry.get(), "path", f.path) &&
             set_string(entry.get(), "sha256", f.sha256) &&
             set(entry.get(), "size", json_integer(static_cast<json_int_t>(f.size))) &&
             json_array_append(files.get(), entry.get()) == 0;
    }
    ok = ok && json_object_set(root.get(), "dependencies", deps.get()) == 0 &&
         json_object_set(root.get(), "source_info", source.get()) == 0 &&
         json_object_set(root.get(), "files", files.get()) == 0;
    if (!ok) return Error::internal("could not serialize a version record");
    return dump(root.get());
}

Result<VersionRecord> decode_version(std::string_view json) {
    auto root = parse_object(json);
    if (!root) return std::move(root).error();
    json_t* obj = root->get();
    VersionRecord r;
    if (!get_string(obj, "module_name", r.module_name)) return bad("module_name");
    if (!get_string(obj, "version", r.version)) return bad("version");
    if (!get_string(obj, "digest", r.digest)) return bad("digest");
    if (!get_int(obj, "created_at", r.created_at)) return bad("created_at");

    json_t* deps = json_object_get(obj, "dependencies");
    if (!json_is_array(deps)) return bad("dependencies");
    size_t i;
    json_t* v;
    json_array_foreach(deps, i, v) {
        if (!json_is_string(v)) return bad("dependencies");
        r.dependencies.emplace_back(json_string_value(v), json_string_length(v));
    }

    json_t* source = json_object_get(obj, "source_info");
    if (source != nullptr && !json_is_null(source)) {
        if (!json_is_object(source) ||
            !get_optional_string(source, "repository", r.source_info.repository) ||
            !get_optional_string(source, "commit_sha", r.source_info.commit_sha) ||
            !get_optional_string(source, "branch", r.source_info.branch)) {
            return bad("source_info");
        }
    }

    json_t* files = json_object_get(obj, "files");
    if (!json_is_array(files)) return bad("files");
    json_array_foreach(files, i, v) {
        FileEntry f;
        int64_t size = 0;
        if (!json_is_object(v) || !get_string(v, "path", f.path) ||
            !get_string(v, "sha256", f.sha256) || !get_int(v, "size", size) || size < 0) {
            return bad("files");
        }
        f.size = static_cast<uint64_t>(size);
        r.files.push_back(std::move(f));
    }
    return r;
}

Result<std::string> encode_token(const ApiToken& t) {
    JsonPtr root(json_object());
    if (!root || !set_string(root.get(), "id", t.id) || !set_string(root.get(), "name", t.name) ||
        !set_string(root.get(), "secret_hash", t.secret_hash) ||
        !set_strings(root.get(), "scopes", t.scopes) ||
        !set_strings(root.get(), "prefixes", t.prefixes) ||
        !set_optional_time(root.get(), "expires_at", t.expires_at) ||
        !set(root.get(), "created_at", json_integer(t.created_at)) ||
        !set_optional_time(root.get(), "last_used_at", t.last_used_at) ||
        !set_optional_time(root.get(), "revoked_at", t.revoked_at)) {
        return Error::internal("could not serialize a token record");
    }
    return dump(root.get());
}

Result<ApiToken> decode_token(std::string_view json) {
    auto root = parse_object(json);
    if (!root) return std::move(root).error();
    json_t* obj = root->get();
    ApiToken t;
    if (!get_string(obj, "id", t.id) || t.id.empty()) return bad("id");
    if (!get_string(obj, "name", t.name)) return bad("name");
    if (!get_string(obj, "secret_hash", t.secret_hash)) return bad("secret_hash");
    if (!get_strings(obj, "scopes", true, t.scopes)) return bad("scopes");
    if (!get_strings(obj, "prefixes", false, t.prefixes)) return bad("prefixes");
    if (!get_optional_time(obj, "expires_at", t.expires_at)) return bad("expires_at");
    if (!get_int(obj, "created_at", t.created_at)) return bad("created_at");
    if (!get_optional_time(obj, "last_used_at", t.last_used_at)) return bad("last_used_at");
    if (!get_optional_time(obj, "revoked_at", t.revoked_at)) return bad("revoked_at");
    return t;
}

namespace {

bool set_settings(json_t* obj, const char* key, const SubjectSettings& settings) {
    JsonPtr map(json_object());
    if (!map) return false;
    for (const auto& [subject, value] : settings) {
        json_t* v = json_stringn(value.data(), value.size());
        if (v == nullptr ||
            json_object_setn_new(map.get(), subject.data(), subject.size(), v) != 0) {
            return false;
        }
    }
    return json_object_set(obj, key, map.get()) == 0;
}

bool get_settings(json_t* obj, const char* key, SubjectSettings& out) {
    json_t* map = json_object_get(obj, key);
    if (map == nullptr) return true;
    if (!json_is_object(map)) return false;
    const char* subject;
    size_t length;
    json_t* v;
    json_object_keylen_foreach(map, subject, length, v) {
        if (!json_is_string(v)) return false;
        out.emplace(std::string(subject, length),
                    std::string(json_string_value(v), json_string_length(v)));
    }
    return true;
}

}  // namespace

Result<std::string> encode_schema(const StoredSchema& schema) {
    JsonPtr root(json_object());
    if (!root || !set(root.get(), "id", json_integer(schema.id)) ||
        !set_string(root.get(), "schema_type", schema.schema_type) ||
        !set_string(root.get(), "text", schema.text) ||
        !set(root.get(), "references", references_to_json(schema.references)) ||
        !set_string(root.get(), "digest", schema.digest)) {
        return Error::internal("could not serialize a schema record");
    }
    return dump(root.get());
}

Result<StoredSchema> decode_schema(std::string_view json) {
    auto root = parse_object(json);
    if (!root) return std::move(root).error();
    json_t* obj = root->get();
    StoredSchema s;
    if (!get_int(obj, "id", s.id) || s.id <= 0) return bad("id");
    if (!get_string(obj, "schema_type", s.schema_type)) return bad("schema_type");
    if (!get_string(obj, "text", s.text)) return bad("text");
    if (!get_string(obj, "digest", s.digest)) return bad("digest");
    if (!references_from_json(json_object_get(obj, "references"), s.references)) {
        return bad("references");
    }
    return s;
}

Result<std::string> encode_subject(const std::string& subject,
                                   const std::vector<SubjectVersion>& versions) {
    JsonPtr root(json_object());
    JsonPtr list(json_array());
    if (!root || !list) return Error::internal("could not serialize a subject record");
    for (const auto& v : versions) {
        JsonPtr entry(json_object());
        if (!entry || !set(entry.get(), "version", json_integer(v.version)) ||
            !set(entry.get(), "schema_id", json_integer(v.schema_id)) ||
            !set_string(entry.get(), "schema_digest", v.schema_digest) ||
            !set(entry.get(), "deleted", json_boolean(v.deleted)) ||
            json_array_append(list.get(), entry.get()) != 0) {
            return Error::internal("could not serialize a subject record");
        }
    }
    if (!set_string(root.get(), "subject", subject) ||
        json_object_set(root.get(), "versions", list.get()) != 0) {
        return Error::internal("could not serialize a subject record");
    }
    return dump(root.get());
}

Result<std::vector<SubjectVersion>> decode_subject(std::string_view json) {
    auto root = parse_object(json);
    if (!root) return std::move(root).error();
    json_t* obj = root->get();
    std::string subject;
    if (!get_string(obj, "subject", subject)) return bad("subject");
    json_t* list = json_object_get(obj, "versions");
    if (!json_is_array(list)) return bad("versions");
    std::vector<SubjectVersion> out;
    size_t i;
    json_t* v;
    json_array_foreach(list, i, v) {
        SubjectVersion sv;
        sv.subject = subject;
        json_t* deleted = json_object_get(v, "deleted");
        if (!json_is_object(v) || !get_int(v, "version", sv.version) ||
            !get_int(v, "schema_id", sv.schema_id) ||
            !get_string(v, "schema_digest", sv.schema_digest) || !json_is_boolean(deleted)) {
            return bad("versions");
        }
        sv.deleted = json_is_true(deleted);
        out.push_back(std::move(sv));
    }
    return out;
}

Result<std::string> encode_settings(const SubjectSettings& compatibility,
                                    const SubjectSettings& mode) {
    JsonPtr root(json_object());
    if (!root || !set_settings(root.get(), "compatibility", compatibility) ||
        !set_settings(root.get(), "mode", mode)) {
        return Error::internal("could not serialize the subject settings");
    }
    return dump(root.get());
}

Result<std::pair<SubjectSettings, SubjectSettings>> decode_settings(std::string_view json) {
    auto root = parse_object(json);
    if (!root) return std::move(root).error();
    std::pair<SubjectSettings, SubjectSettings> out;
    if (!get_settings(root->get(), "compatibility", out.first)) return bad("compatibility");
    if (!get_settings(root->get(), "mode", out.second)) return bad("mode");
    return out;
}

}  // namespace spoke::fsjson
