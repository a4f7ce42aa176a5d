#include "handlers/module_handler.hpp"

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "reactor/percent_encoding.hpp"
#include "registry/names.hpp"

namespace spoke {
namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;

}  // namespace

void ModuleHandler::create(HttpExchange& ex, const RouteParams&) const {
    auto body = read_json_body(ex);
    if (!body) return;
    auto request = decode_create_module(body->get());
    if (!request) return reply_error(ex, request.error());
    if (Status s = validate_module_name(request->name); !s) return reply_error(ex, s.error());

    app_.modules.create(request->name, std::move(request->description),
                        [handle = ex.handle()](Result<Module> created) {
                            HttpExchange* ex = handle.get();
                            if (ex == nullptr) return;  // already answered (deadline)
                            if (!created) return reply_error(*ex, created.error());
                            ex->add_header("Location", "/modules/" + created->name);
                            reply_json(*ex, 201, module_to_json(*created).get());
                        });
}

void ModuleHandler::list(HttpExchange& ex, const RouteParams&) const {
    auto limit = query_uint(ex, "limit");
    if (!limit) return reply_error(ex, limit.error());
    auto offset = query_uint(ex, "offset");
    if (!offset) return reply_error(ex, offset.error());
    const uint64_t page = limit->value_or(kDefaultLimit);
    if (page < 1 || page > kMaxLimit) {
        return reply_error(ex,
                           Error::bad_request("query parameter \"limit\" must be between 1 and " +
                                              std::to_string(kMaxLimit)));
    }
    ModuleQuery query;
    query.limit = static_cast<uint32_t>(page);
    query.offset = offset->value_or(0);
    query.prefix = ex.query("prefix").value_or("");
    query.after = ex.query("after").value_or("");
    std::string prefix = query.prefix;

    app_.modules.list(std::move(query), [handle = ex.handle(), page,
                                         prefix = std::move(prefix)](Result<ModulePage> result) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!result) return reply_error(*ex, result.error());
        JsonPtr array(json_array());
        for (const auto& m : result->modules) {
            json_array_append_new(array.get(), module_to_json(m).release());
        }
        ex->add_header("X-Total-Count", std::to_string(result->total));
        if (result->modules.size() == page) {
            // The next page as a keyset (`after` the last name): one index range on any page,
            // where an offset would make the database step over every earlier module.
            std::string next = "</modules?limit=" + std::to_string(page) +
                               "&after=" + percent_encode(result->modules.back().name);
            if (!prefix.empty()) next += "&prefix=" + percent_encode(prefix);
            ex->add_header("Link", next + ">; rel=\"next\"");
        }
        reply_json(*ex, 200, array.get());
    });
}

void ModuleHandler::get(HttpExchange& ex, const RouteParams& params) const {
    const std::string& name = params.get("name");
    if (reply_if_impossible_name(ex, name, std::nullopt)) return;
    app_.modules.get(name, [handle = ex.handle()](Result<ModuleWithVersions> found) {
        HttpExchange* ex = handle.get();
        if (ex == nullptr) return;
        if (!found) return reply_error(*ex, found.error());
        JsonPtr body = module_to_json(found->module);
        JsonPtr list(json_array());
        for (const auto& v : found->versions) {
            json_array_append_new(list.get(), version_summary_to_json(v).release());
        }
        json_object_set_new(body.get(), "versions", list.release());
        reply_json(*ex, 200, body.get());
    });
}

}  // namespace spoke
