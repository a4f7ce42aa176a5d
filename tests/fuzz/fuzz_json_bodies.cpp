// The JSON bodies of the write routes, decoded with the handlers' own functions and checked as
// the handler checks them before it calls a service. The first byte picks the route (an ASCII
// digit '0'..'9' picks that route; any other byte, itself modulo the route count); the rest is
// the body, parsed with parse_json_object as read_json_body does.
//
//   0  POST /modules                                  decode_create_module, validate_module_name
//   1  POST /modules/{name}/versions                  decode_push_request, validate_push,
//                                                     make_draft, version_to_json
//   2  POST /validate                                 decode_validate_request,
//                                                     parse_dependency_ref, validate_push
//   3  PUT  /modules/{name}/config                    decode_compat_config
//   4  POST /modules/{name}/compatibility             decode_compat_check
//   5  POST /api/v1/modules/{name}/diff               decode_diff_request
//   6  POST /api/v1/modules/{n}/versions/{v}/compile  decode_compile_request
//   7  (any text reply)                               json_text, dump_json of the raw body
//   8  POST /auth/tokens                              decode_token_request, make_token,
//                                                     token_to_json
//
// Invariants: what the encoders produce is JSON that parses back to what was encoded (a pushed
// version's summary and a created module round-trip through the client decoders); json_text
// keeps valid UTF-8 unchanged; a token made from any accepted body has sorted, valid scopes and
// prefixes, a well-formed secret and id, and its JSON never holds the secret or its hash.

#include <jansson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "handlers/codegen_json.hpp"
#include "handlers/compat_json.hpp"
#include "handlers/json_codec.hpp"
#include "registry/auth/access_policy.hpp"
#include "registry/names.hpp"
#include "registry/push_request.hpp"
#include "services/auth/token_secret.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace spoke;
using spoke::fuzz::require;

constexpr int kRoutes = 9;
constexpr TimestampMs kNow = 1700000000123;

// Serialized and parsed back: the encoders' output is always JSON (escaped NULs included, which
// clients parse; parse_json_object refuses it in request bodies).
JsonPtr reparse(const json_t* value) {
    const std::string text = dump_json(value);
    json_error_t err;
    JsonPtr back(json_loadb(text.data(), text.size(), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err));
    require(back != nullptr, "dump_json wrote text jansson cannot parse: " + text);
    return back;
}

void create_module(const json_t* body) {
    auto request = decode_create_module(body);
    if (!request || !validate_module_name(request->name)) return;
    Module m;
    m.name = request->name;
    m.description = request->description;
    m.created_at = m.updated_at = kNow;
    JsonPtr back = reparse(module_to_json(m).get());
    auto decoded = module_from_json(back.get());
    require(decoded && decoded->name == m.name && decoded->description == m.description &&
                decoded->created_at == kNow && !decoded->latest_version,
            "a module does not round-trip through its JSON");
}

void push(const json_t* body) {
    auto request = decode_push_request(body, "acme.fuzz");
    if (!request) return;
    auto validated = validate_push(std::move(*request), PushLimits{});
    if (!validated) return;
    std::vector<std::string> resolved;
    for (const auto& ref : validated->dependencies) resolved.push_back(ref.to_string());
    VersionSnapshot snapshot;
    VersionDraft draft = make_draft(std::move(*validated), std::move(resolved), kNow);
    snapshot.record = draft.record;
    snapshot.files = draft.files;
    JsonPtr back = reparse(version_to_json(snapshot).get());
    auto decoded = version_summary_from_json(back.get());
    require(decoded.ok(), "a version does not decode from its JSON: " +
                              (decoded.ok() ? std::string() : decoded.error().message));
    const VersionRecord& r = draft.record;
    require(decoded->module_name == r.module_name && decoded->version == r.version &&
                decoded->digest == r.digest && decoded->created_at == r.created_at &&
                decoded->dependencies == r.dependencies &&
                decoded->source_info.repository == r.source_info.repository &&
                decoded->source_info.commit_sha == r.source_info.commit_sha &&
                decoded->source_info.branch == r.source_info.branch &&
                decoded->files.size() == r.files.size(),
            "a version summary does not round-trip through its JSON");
    for (size_t i = 0; i < r.files.size(); ++i) {
        require(decoded->files[i].path == r.files[i].path &&
                    decoded->files[i].sha256 == r.files[i].sha256 &&
                    decoded->files[i].size == r.files[i].size,
                "a file entry does not round-trip through its JSON");
    }
}

void validate(const json_t* body) {
    auto request = decode_validate_request(body);
    if (!request) return;
    for (const auto& dep : request->dependencies) {
        if (!parse_dependency_ref(dep)) return;
    }
    PushRequest push{"validate", "0.0.0", std::move(request->files), {}, {}};
    (void)validate_push(std::move(push), PushLimits{});
}

void compat_config(const json_t* body) {
    auto level = decode_compat_config(body);
    if (!level) return;
    JsonPtr back = reparse(compat_config_to_json(compat_mode_name(*level)).get());
    const json_t* text = json_object_get(back.get(), "compatibility");
    require(json_is_string(text) && parse_compat_mode(json_string_value(text)) == *level,
            "a compatibility level does not round-trip");
}

void compat_check(const json_t* body) {
    auto request = decode_compat_check(body);
    if (!request) return;
    // The handler answers 404 for versions that cannot exist before any storage call.
    for (const std::string* v : {&request->old_version, &request->new_version}) {
        if (*v != "latest") (void)validate_version_name(*v);
    }
}

void diff(const json_t* body) {
    auto request = decode_diff_request(body);
    if (!request) return;
    (void)validate_version_name(request->from_version);
    (void)validate_version_name(request->to_version);
}

void compile(const json_t* body) {
    auto request = decode_compile_request(body);
    if (!request) return;
    require(!request->languages.empty(), "a compile request without languages was accepted");
}

void token(const json_t* body) {
    auto request = decode_token_request(body);
    if (!request) return;
    auto made = make_token(std::move(*request), kNow);
    if (!made) {
        require(made.error().code == ErrorCode::BadRequest, "a token request failed otherwise");
        return;
    }
    const ApiToken& t = made->record;
    require(looks_like_token_secret(made->secret) && is_token_id(t.id), "a malformed token");
    require(t.secret_hash == token_secret_hash(made->secret),
            "the stored hash is not the secret's");
    require(!t.scopes.empty() && std::is_sorted(t.scopes.begin(), t.scopes.end()) &&
                std::adjacent_find(t.scopes.begin(), t.scopes.end()) == t.scopes.end(),
            "scopes not sorted and unique");
    for (const auto& s : t.scopes) require(parse_scope(s).has_value(), "an unknown scope kept");
    for (const auto& p : t.prefixes) {
        require(!module_prefix_problem(p), "an invalid prefix kept");
    }
    const std::string listed = dump_json(token_to_json(t).get());
    require(listed.find(made->secret) == std::string::npos &&
                listed.find(t.secret_hash) == std::string::npos,
            "a token's JSON holds its secret or hash");
}

void text_reply(std::string_view bytes) {
    JsonPtr text = json_text(bytes);
    require(json_is_string(text.get()), "json_text did not make a string");
    JsonPtr back = reparse(text.get());
    require(json_is_string(back.get()), "json_text's string did not parse back as a string");
    const std::string_view round(json_string_value(back.get()), json_string_length(back.get()));
    if (is_valid_utf8(bytes)) require(round == bytes, "json_text changed valid UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const int selector = data[0] >= '0' && data[0] <= '9' ? data[0] - '0' : data[0];
    const int route = selector % kRoutes;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (route == 7) {
        text_reply(body);
        return 0;
    }
    auto parsed = parse_json_object(body);
    if (!parsed) return 0;
    const json_t* object = parsed->get();
    switch (route) {
        case 0:
            create_module(object);
            break;
        case 1:
            push(object);
            break;
        case 2:
            validate(object);
            break;
        case 3:
            compat_config(object);
            break;
        case 4:
            compat_check(object);
            break;
        case 5:
            diff(object);
            break;
        case 6:
            compile(object);
            break;
        case 8:
            token(object);
            break;
        default:
            break;
    }
    return 0;
}
