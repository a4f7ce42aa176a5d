// Rules on service pairs (paired by full name) and their methods (paired by name): request and
// response types, streaming, idempotency level, deleted methods.

#include <google/protobuf/descriptor.pb.h>

#include "registry/compat/compat_rules.hpp"

namespace spoke::compat {

namespace {

const char* streaming_name(bool streaming) {
    return streaming ? "streaming" : "unary";
}

void check_method_pair(const pb::MethodDescriptor* before, const pb::MethodDescriptor* after,
                       ViolationSink& sink) {
    const std::string rpc =
        "RPC " + quoted(after->name()) + " on service " + quoted(after->service()->full_name());
    const int line = SchemaImage::line_of(after);
    auto add = [&](const char* rule, const std::string& what, std::string from, std::string to) {
        sink.add(rule, ViolationLevel::Error, rpc + " " + what, after->file(), line,
                 after->full_name(), std::move(from), std::move(to));
    };
    const std::string& old_input = before->input_type()->full_name();
    const std::string& new_input = after->input_type()->full_name();
    if (old_input != new_input) {
        add("RPC_SAME_REQUEST_TYPE",
            "changed request type from " + quoted(old_input) + " to " + quoted(new_input) + ".",
            old_input, new_input);
    }
    const std::string& old_output = before->output_type()->full_name();
    const std::string& new_output = after->output_type()->full_name();
    if (old_output != new_output) {
        add("RPC_SAME_RESPONSE_TYPE",
            "changed response type from " + quoted(old_output) + " to " + quoted(new_output) + ".",
            old_output, new_output);
    }
    if (before->client_streaming() != after->client_streaming()) {
        const char* from = streaming_name(before->client_streaming());
        const char* to = streaming_name(after->client_streaming());
        add("RPC_SAME_CLIENT_STREAMING",
            std::string("changed from client ") + from + " to client " + to + ".", from, to);
    }
    if (before->server_streaming() != after->server_streaming()) {
        const char* from = streaming_name(before->server_streaming());
        const char* to = streaming_name(after->server_streaming());
        add("RPC_SAME_SERVER_STREAMING",
            std::string("changed from server ") + from + " to server " + to + ".", from, to);
    }
    const auto old_level = before->options().idempotency_level();
    const auto new_level = after->options().idempotency_level();
    if (old_level != new_level) {
        const std::string from = pb::MethodOptions::IdempotencyLevel_Name(old_level);
        const std::string to = pb::MethodOptions::IdempotencyLevel_Name(new_level);
        add("RPC_SAME_IDEMPOTENCY_LEVEL",
            "changed option \"idempotency_level\" from " + quoted(from) + " to " + quoted(to) + ".",
            from, to);
    }
}

}  // namespace

void check_services(const ImagePair& images, ViolationSink& sink) {
    for (const auto& [name, older] : images.older.services) {
        auto it = images.newer.services.find(name);
        if (it == images.newer.services.end()) continue;
        const pb::ServiceDescriptor* newer = it->second;
        for (int i = 0; i < older->method_count(); ++i) {
            const pb::MethodDescriptor* before = older->method(i);
            const pb::MethodDescriptor* after = newer->FindMethodByName(before->name());
            if (after != nullptr) {
                check_method_pair(before, after, sink);
                continue;
            }
            // Clients calling a deleted method get UNIMPLEMENTED; no stored data changes
            // meaning, which is why buf leaves this out of WIRE.
            sink.add("RPC_NO_DELETE", ViolationLevel::Info,
                     "Previously present RPC " + quoted(before->name()) + " on service " +
                         quoted(newer->full_name()) + " was deleted.",
                     newer->file(), SchemaImage::line_of(newer), before->full_name(),
                     before->full_name(), "");
        }
    }
}

}  // namespace spoke::compat
