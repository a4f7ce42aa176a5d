#include "handlers/descriptor_handler.hpp"

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"

namespace spoke {
namespace {

constexpr std::string_view kProtobufType = "application/x-protobuf";

void reply_descriptor(HttpExchange& ex, const DescriptorSet& set) {
    reply_immutable(ex, kProtobufType, set.bytes, quoted_etag(set.digest));
}

}  // namespace

void DescriptorHandler::get(HttpExchange& ex, const RouteParams& params) const {
    auto source_info = query_bool(ex, "source_info", false);
    if (!source_info) return reply_error(ex, source_info.error());
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    if (version != "latest") {
        // Hot path: compiled already, one cache lookup and a zero-copy reply.
        if (DescriptorSetPtr hit = app_.descriptors.cached(module, version, *source_info)) {
            return reply_descriptor(ex, *hit);
        }
    }
    if (reply_if_impossible_name(ex, module, version)) return;
    app_.descriptors.get(DescriptorQuery{module, version, *source_info, ex.lifetime_guard()},
                         [handle = ex.handle()](Result<DescriptorSetPtr> set) {
                             HttpExchange* ex = handle.get();
                             if (ex == nullptr) return;
                             if (!set) return reply_error(*ex, set.error());
                             reply_descriptor(*ex, **set);
                         });
}

}  // namespace spoke
