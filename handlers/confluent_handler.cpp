#include "handlers/confluent_handler.hpp"

#include <optional>
#include <utility>

#include "handlers/confluent_json.hpp"
#include "handlers/confluent_reply.hpp"
#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/loop_services.hpp"
#include "handlers/response_cache.hpp"
#include "reactor/http_exchange.hpp"
#include "registry/confluent/subject_names.hpp"
#include "services/confluent/confluent_errors.hpp"
#include "services/services.hpp"

namespace spoke {
namespace {

void reply_body(HttpExchange& ex, int status, const json_t* value) {
    ex.reply(status, kConfluentContentType, dump_json(value));
}

// A completion that answers 200 with `render(value)`, or the error.
template <class T, class Render>
Completion<T> answer(HttpExchange& ex, Render render) {
    return [handle = ex.handle(), render = std::move(render)](Result<T> result) mutable {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!result) return reply_confluent_error(*ex, result.error());
        JsonPtr body = render(*result);
        reply_body(*ex, 200, body.get());
    };
}

JsonPtr string_json(const std::string& s) {
    return json_text(s);
}

JsonPtr integers_json(const std::vector<int64_t>& values) {
    JsonPtr list(json_array());
    for (int64_t v : values) json_array_append_new(list.get(), json_integer(v));
    return list;
}

JsonPtr strings_json(const std::vector<std::string>& values) {
    JsonPtr list(json_array());
    for (const auto& v : values) json_array_append_new(list.get(), json_text(v).release());
    return list;
}

JsonPtr object_with(const char* key, const std::string& value) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), key, json_text(value).release());
    return o;
}

// Confluent reads JSON whatever the media type says: its own, application/json, none.
std::optional<JsonPtr> read_body(HttpExchange& ex) {
    auto parsed = parse_json_object(ex.body());
    if (!parsed) {
        reply_confluent_error(ex, parsed.error());
        return std::nullopt;
    }
    return std::move(parsed).value();
}

std::optional<int64_t> version_param(HttpExchange& ex, const RouteParams& params) {
    const std::string& text = params.get("version");
    if (auto v = parse_subject_version(text)) return *v;
    reply_confluent_error(ex, confluent_errors::invalid_version(text));
    return std::nullopt;
}

std::optional<int64_t> id_param(HttpExchange& ex, const RouteParams& params) {
    const std::string& text = params.get("id");
    int64_t id = 0;
    bool ok = !text.empty() && text.size() <= 18;
    for (char c : text) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) id = id * 10 + (c - '0');
    }
    if (ok && id > 0) return id;
    reply_confluent_error(
        ex, confluent_errors::schema_not_found("schema " + quote_value(text) +
                                               " not found: ids are positive integers"));
    return std::nullopt;
}

std::optional<bool> flag(HttpExchange& ex, std::string_view key) {
    auto value = query_bool(ex, key, false);
    if (value) return *value;
    reply_confluent_error(ex, value.error());
    return std::nullopt;
}

bool wants_serialized(const HttpExchange& ex) {
    return ex.query("format") == std::optional<std::string>("serialized");
}

std::string schema_cache_key(int64_t id) {
    return std::string("confluent-id", 12) + '\0' + std::to_string(id);
}

// A permanent deletion may leave an id without a version to hold it: its schema is then no
// longer served (40403), so this process stops serving its kept reply. Other instances' kept
// replies age out of their caches (docs/confluent.md).
void forget_schema(ResponseCache& cache, int64_t id) {
    cache.erase(schema_cache_key(id));
}

// A schema or version reply; with format=serialized its text becomes the base64 descriptor.
template <class T, class Render>
void reply_schema(HttpExchange& ex, Services& app, std::string subject, T found,
                  const StoredSchema& schema, Render render) {
    if (!wants_serialized(ex)) {
        JsonPtr body = render(found, schema.text);
        return reply_body(ex, 200, body.get());
    }
    app.schemas.serialized(std::move(subject), schema, ex.lifetime_guard(),
                           [handle = ex.handle(), found = std::move(found),
                            render = std::move(render)](Result<std::string> base64) mutable {
                               HttpExchange* ex = handle.get();
                               if (ex == nullptr) return;
                               if (!base64) return reply_confluent_error(*ex, base64.error());
                               JsonPtr body = render(found, *base64);
                               reply_body(*ex, 200, body.get());
                           });
}

void reply_setting(HttpExchange& ex, Services& app, SubjectSetting which, std::string subject,
                   const char* key) {
    auto to_global = query_bool(ex, "defaultToGlobal", false);
    if (!to_global) return reply_confluent_error(ex, to_global.error());
    app.subjects.setting(
        which, std::move(subject), *to_global,
        answer<std::string>(ex, [key](const std::string& v) { return object_with(key, v); }));
}

void put_setting(HttpExchange& ex, Services& app, SubjectSetting which, std::string subject,
                 const char* field) {
    auto body = read_body(ex);
    if (!body) return;
    auto value = decode_setting(body->get(), field);
    if (!value) return reply_confluent_error(ex, value.error());
    app.subjects.set_setting(
        which, std::move(subject), std::move(*value),
        answer<std::string>(ex, [field](const std::string& v) { return object_with(field, v); }));
}

void delete_setting(HttpExchange& ex, Services& app, SubjectSetting which, std::string subject,
                    const char* key) {
    app.subjects.delete_setting(
        which, std::move(subject),
        answer<std::string>(ex, [key](const std::string& v) { return object_with(key, v); }));
}

}  // namespace

void ConfluentHandler::schema_types(HttpExchange& ex, const RouteParams&) const {
    reply_body(ex, 200, strings_json({"PROTOBUF"}).get());
}

void ConfluentHandler::schema_by_id(HttpExchange& ex, const RouteParams& params) const {
    auto id = id_param(ex, params);
    if (!id) return;
    const bool plain = !wants_serialized(ex);
    if (plain) {
        // Hot path of every consumer: an id's schema never changes, so its reply is kept.
        if (CachedResponsePtr hit = services_.cache.find(schema_cache_key(*id))) {
            return reply_cached(ex, *hit);
        }
    }
    Services& app = app_;
    ResponseCache& cache = services_.cache;
    app_.subjects.schema(*id, [&app, &cache, plain, subject = ex.query("subject").value_or(""),
                               handle = ex.handle()](Result<StoredSchema> schema) mutable {
        HttpExchange* ex = handle.get();
        if (!schema) {
            if (ex != nullptr) reply_confluent_error(*ex, schema.error());
            return;
        }
        auto render = [](const StoredSchema& s, const std::string& text) {
            return schema_to_json(s, text);
        };
        if (plain) {
            JsonPtr body = render(*schema, schema->text);
            auto rendered = std::make_shared<const CachedResponse>(
                CachedResponse{std::make_shared<const std::string>(dump_json(body.get())),
                               std::string(kConfluentContentType), quoted_etag(schema->digest)});
            cache.insert(schema_cache_key(schema->id), rendered);
            if (ex != nullptr) reply_cached(*ex, *rendered);
            return;
        }
        if (ex == nullptr) return;
        StoredSchema found = *schema;
        reply_schema(*ex, app, std::move(subject), std::move(found), *schema, render);
    });
}

void ConfluentHandler::schema_text_by_id(HttpExchange& ex, const RouteParams& params) const {
    auto id = id_param(ex, params);
    if (!id) return;
    app_.subjects.schema(
        *id, answer<StoredSchema>(ex, [](const StoredSchema& s) { return string_json(s.text); }));
}

void ConfluentHandler::schema_versions(HttpExchange& ex, const RouteParams& params) const {
    auto id = id_param(ex, params);
    auto deleted = id ? flag(ex, "deleted") : std::nullopt;
    if (!deleted) return;
    app_.subjects.usages(
        *id, *deleted,
        answer<std::vector<SubjectVersion>>(ex, [](const std::vector<SubjectVersion>& usages) {
            JsonPtr list(json_array());
            for (const auto& u : usages) {
                JsonPtr o(json_object());
                json_object_set_new(o.get(), "subject", json_text(u.subject).release());
                json_object_set_new(o.get(), "version", json_integer(u.version));
                json_array_append_new(list.get(), o.release());
            }
            return list;
        }));
}

void ConfluentHandler::schema_subjects(HttpExchange& ex, const RouteParams& params) const {
    auto id = id_param(ex, params);
    auto deleted = id ? flag(ex, "deleted") : std::nullopt;
    if (!deleted) return;
    app_.subjects.usages(
        *id, *deleted,
        answer<std::vector<SubjectVersion>>(ex, [](const std::vector<SubjectVersion>& usages) {
            std::vector<std::string> names;
            for (const auto& u : usages) {
                if (names.empty() || names.back() != u.subject) {
                    names.push_back(u.subject);
                }
            }
            return strings_json(names);
        }));
}

void ConfluentHandler::subjects(HttpExchange& ex, const RouteParams&) const {
    auto deleted = flag(ex, "deleted");
    if (!deleted) return;
    app_.subjects.subjects(ex.query("subjectPrefix").value_or(""), *deleted,
                           answer<std::vector<std::string>>(ex, strings_json));
}

void ConfluentHandler::versions(HttpExchange& ex, const RouteParams& params) const {
    auto deleted = flag(ex, "deleted");
    if (!deleted) return;
    app_.subjects.versions(params.get("name"), *deleted,
                           answer<std::vector<int64_t>>(ex, integers_json));
}

void ConfluentHandler::version(HttpExchange& ex, const RouteParams& params) const {
    auto version = version_param(ex, params);
    auto deleted = version ? flag(ex, "deleted") : std::nullopt;
    if (!deleted) return;
    Services& app = app_;
    app_.subjects.version(params.get("name"), *version, *deleted,
                          [&app, handle = ex.handle()](Result<SubjectSchema> found) mutable {
                              HttpExchange* ex = handle.get();
                              if (ex == nullptr) return;
                              if (!found) return reply_confluent_error(*ex, found.error());
                              std::string subject = found->version.subject;
                              const StoredSchema schema = found->schema;
                              reply_schema(*ex, app, std::move(subject), std::move(*found), schema,
                                           [](const SubjectSchema& f, const std::string& text) {
                                               return subject_schema_to_json(f, text);
                                           });
                          });
}

void ConfluentHandler::version_text(HttpExchange& ex, const RouteParams& params) const {
    auto version = version_param(ex, params);
    auto deleted = version ? flag(ex, "deleted") : std::nullopt;
    if (!deleted) return;
    app_.subjects.version(params.get("name"), *version, *deleted,
                          answer<SubjectSchema>(ex, [](const SubjectSchema& f) {
                              return string_json(f.schema.text);
                          }));
}

void ConfluentHandler::referenced_by(HttpExchange& ex, const RouteParams& params) const {
    auto version = version_param(ex, params);
    if (!version) return;
    app_.subjects.referenced_by(params.get("name"), *version,
                                answer<std::vector<int64_t>>(ex, integers_json));
}

void ConfluentHandler::register_schema(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_body(ex);
    if (!body) return;
    auto input = decode_schema_input(body->get(), true);
    if (!input) return reply_confluent_error(ex, input.error());
    auto normalize = flag(ex, "normalize");
    if (!normalize) return;
    app_.schemas.register_schema(
        RegisterQuery{params.get("name"), std::move(*input), *normalize, ex.lifetime_guard()},
        answer<int64_t>(ex, [](int64_t id) {
            JsonPtr o(json_object());
            json_object_set_new(o.get(), "id", json_integer(id));
            return o;
        }));
}

void ConfluentHandler::lookup(HttpExchange& ex, const RouteParams& params) const {
    auto body = read_body(ex);
    if (!body) return;
    auto input = decode_schema_input(body->get(), false);
    if (!input) return reply_confluent_error(ex, input.error());
    auto deleted = flag(ex, "deleted");
    auto normalize = deleted ? flag(ex, "normalize") : std::nullopt;
    if (!normalize) return;
    app_.schemas.lookup(LookupQuery{params.get("name"), std::move(*input), *deleted, *normalize,
                                    ex.lifetime_guard()},
                        answer<SubjectSchema>(ex, [](const SubjectSchema& f) {
                            return subject_schema_to_json(f, f.schema.text);
                        }));
}

void ConfluentHandler::delete_subject(HttpExchange& ex, const RouteParams& params) const {
    auto permanent = flag(ex, "permanent");
    if (!permanent) return;
    ResponseCache& cache = services_.cache;
    app_.subjects.delete_subject(
        params.get("name"), *permanent,
        answer<std::vector<SubjectVersion>>(
            ex, [&cache, permanent = *permanent](const std::vector<SubjectVersion>& deleted) {
                std::vector<int64_t> numbers;
                for (const auto& v : deleted) {
                    numbers.push_back(v.version);
                    if (permanent) forget_schema(cache, v.schema_id);
                }
                return integers_json(numbers);
            }));
}

void ConfluentHandler::delete_version(HttpExchange& ex, const RouteParams& params) const {
    auto version = version_param(ex, params);
    auto permanent = version ? flag(ex, "permanent") : std::nullopt;
    if (!permanent) return;
    ResponseCache& cache = services_.cache;
    app_.subjects.delete_version(
        params.get("name"), *version, *permanent,
        answer<SubjectVersion>(ex, [&cache, permanent = *permanent](const SubjectVersion& v) {
            if (permanent) forget_schema(cache, v.schema_id);
            return JsonPtr(json_integer(v.version));
        }));
}

void ConfluentHandler::check(HttpExchange& ex, const RouteParams& params) const {
    std::optional<int64_t> version;
    if (!params.get("version").empty()) {
        version = version_param(ex, params);
        if (!version) return;
    }
    auto verbose = flag(ex, "verbose");
    if (!verbose) return;
    auto body = read_body(ex);
    if (!body) return;
    auto input = decode_schema_input(body->get(), false);
    if (!input) return reply_confluent_error(ex, input.error());
    app_.schemas.check(
        CompatQuery{params.get("name"), version, std::move(*input), ex.lifetime_guard()},
        answer<CompatAnswer>(ex, [verbose = *verbose](const CompatAnswer& a) {
            JsonPtr o(json_object());
            json_object_set_new(o.get(), "is_compatible", json_boolean(a.compatible));
            if (verbose) {
                json_object_set_new(o.get(), "messages", strings_json(a.messages).release());
            }
            return o;
        }));
}

void ConfluentHandler::get_config(HttpExchange& ex, const RouteParams& params) const {
    reply_setting(ex, app_, SubjectSetting::Compatibility, params.get("name"),
                  "compatibilityLevel");
}

void ConfluentHandler::put_config(HttpExchange& ex, const RouteParams& params) const {
    put_setting(ex, app_, SubjectSetting::Compatibility, params.get("name"), "compatibility");
}

void ConfluentHandler::delete_config(HttpExchange& ex, const RouteParams& params) const {
    delete_setting(ex, app_, SubjectSetting::Compatibility, params.get("name"),
                   "compatibilityLevel");
}

void ConfluentHandler::get_mode(HttpExchange& ex, const RouteParams& params) const {
    reply_setting(ex, app_, SubjectSetting::Mode, params.get("name"), "mode");
}

void ConfluentHandler::put_mode(HttpExchange& ex, const RouteParams& params) const {
    put_setting(ex, app_, SubjectSetting::Mode, params.get("name"), "mode");
}

void ConfluentHandler::delete_mode(HttpExchange& ex, const RouteParams& params) const {
    delete_setting(ex, app_, SubjectSetting::Mode, params.get("name"), "mode");
}

}  // namespace spoke
