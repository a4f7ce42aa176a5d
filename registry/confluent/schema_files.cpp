#include "registry/confluent/schema_files.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include "registry/names.hpp"

namespace spoke {

std::string schema_root_path(std::string_view subject) {
    if (subject.ends_with(".proto") && validate_file_path(subject)) return std::string(subject);
    return "schema.proto";
}

Result<std::string> root_file_descriptor(std::string_view set, std::string_view path) {
    google::protobuf::FileDescriptorSet parsed;
    if (!parsed.ParseFromArray(set.data(), static_cast<int>(set.size()))) {
        return Error::internal("a compiled descriptor set does not parse");
    }
    for (auto& file : *parsed.mutable_file()) {
        if (file.name() != path) continue;
        file.clear_source_code_info();
        return file.SerializeAsString();
    }
    return Error::internal("a compiled descriptor set lacks its root file " + std::string(path));
}

Result<std::string> normalized_schema_text(std::string_view set, std::string_view path) {
    google::protobuf::FileDescriptorSet parsed;
    if (!parsed.ParseFromArray(set.data(), static_cast<int>(set.size()))) {
        return Error::internal("a compiled descriptor set does not parse");
    }
    // The set lists every file after its imports, so each builds on what is already there.
    google::protobuf::DescriptorPool pool;
    for (const auto& file : parsed.file()) {
        if (pool.BuildFile(file) == nullptr) {
            return Error{ErrorCode::InvalidProto,
                         "the schema cannot be normalized: " + file.name() + " does not rebuild",
                         {}};
        }
    }
    const google::protobuf::FileDescriptor* root = pool.FindFileByName(std::string(path));
    if (root == nullptr) {
        return Error::internal("a compiled descriptor set lacks its root file " +
                               std::string(path));
    }
    return root->DebugString();
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                           (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                           static_cast<uint8_t>(bytes[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i < bytes.size()) {
        uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
        const bool two = i + 1 < bytes.size();
        if (two) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += two ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace spoke
