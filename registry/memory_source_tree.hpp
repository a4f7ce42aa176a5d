#pragma once
// MemorySourceTree: a libprotoc SourceTree over in-memory files, remembering what it could not
// open.

#include <google/protobuf/compiler/importer.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace spoke {

// Serves exact paths only (no normalisation), so "../x.proto" or "a//b.proto" never resolve.
// Not thread-safe; one instance per compilation. The viewed bytes must outlive it.
class MemorySourceTree : public google::protobuf::compiler::SourceTree {
  public:
    // False if `path` is already served.
    bool add(std::string path, std::string_view content);
    bool contains(const std::string& path) const { return files_.count(path) != 0; }

    google::protobuf::io::ZeroCopyInputStream* Open(const std::string& filename) override;
    std::string GetLastErrorMessage() override { return last_error_; }

  private:
    std::map<std::string, std::string_view, std::less<>> files_;
    std::string last_error_;
};

}  // namespace spoke
