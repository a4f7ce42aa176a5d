#include "registry/memory_source_tree.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <memory>

namespace spoke {

bool MemorySourceTree::add(std::string path, std::string_view content) {
    return files_.emplace(std::move(path), content).second;
}

google::protobuf::io::ZeroCopyInputStream* MemorySourceTree::Open(const std::string& filename) {
    auto it = files_.find(filename);
    if (it == files_.end()) {
        last_error_ = "File not found.";
        return nullptr;
    }
    last_error_.clear();
    // The SourceTree contract hands ownership of the stream to the caller.
    return std::make_unique<google::protobuf::io::ArrayInputStream>(
               it->second.data(), static_cast<int>(it->second.size()))
        .release();
}

}  // namespace spoke
