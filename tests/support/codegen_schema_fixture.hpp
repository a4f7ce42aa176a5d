#pragma once
// A two-file schema for the code generation tests (money.proto, and order.proto that imports it
// and google/protobuf/timestamp.proto, with a service): its sources, its compiled descriptor set,
// the GenerationInput of both files, and a listing of generated files for failure messages.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry/codegen/generator_runner.hpp"
#include "registry/proto_compiler.hpp"

namespace spoke::testing {

inline const char* const kMoneyProto = R"(syntax = "proto3";
package acme.base.v1;
option java_package = "com.acme.base.v1";
option java_multiple_files = true;
message Money {
  string currency = 1;
  int64 units = 2;
}
)";

inline const char* const kOrderProto = R"(syntax = "proto3";
package acme.shop.v1;
import "acme/base/v1/money.proto";
import "google/protobuf/timestamp.proto";
option java_package = "com.acme.shop.v1";
option java_multiple_files = true;
message Order {
  string id = 1;
  acme.base.v1.Money total = 2;
  google.protobuf.Timestamp created_at = 3;
}
message GetOrderRequest { string id = 1; }
service OrderService {
  rpc GetOrder(GetOrderRequest) returns (Order);
}
)";

inline std::string compile(std::vector<ProtoFile> files) {
    CompileRequest request;
    request.files = std::move(files);
    Result<CompiledSchema> compiled = compile_schema(request, PushLimits{});
    EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.error().message);
    return compiled.ok() ? compiled->descriptor_set : std::string();
}

inline const std::string& two_file_schema() {
    static const std::string set = compile(
        {{"acme/base/v1/money.proto", kMoneyProto}, {"acme/shop/v1/order.proto", kOrderProto}});
    return set;
}

inline GenerationInput two_file_input() {
    return {two_file_schema(), {"acme/base/v1/money.proto", "acme/shop/v1/order.proto"}};
}

// One line per generated file, path and size, for a failure message.
inline std::string file_listing(const GeneratedFiles& files) {
    std::string out;
    for (const auto& [path, content] : files)
        out += path + " (" + std::to_string(content.size()) + ")\n";
    return out;
}

}  // namespace spoke::testing
