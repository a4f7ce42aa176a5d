#pragma once
// WellKnownTypesDatabase: serves google/protobuf/*.proto from the compiled-in generated pool.

#include <google/protobuf/descriptor_database.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace spoke {

// True for paths reserved to the well-known types; pushed files may not use them.
bool is_reserved_proto_path(std::string_view path);

// Every well-known file as (path, .proto text), embedded at build time from the libprotobuf this
// binary links (the generated pool has no source info).
const std::vector<std::pair<std::string_view, std::string_view>>& well_known_sources();

// `set` (a serialized FileDescriptorSet) with each well-known file given its source_code_info,
// as protoc --include_source_info gives it; the set unchanged when it holds none. Compiles
// serve the well-known types from the generated pool, without: parsing their text (and carrying
// their long comments through every lint and compatibility check) made a push's compile
// about 70 % dearer, so the comments are added only to what the descriptor route serves.
Result<std::string> with_well_known_source_info(std::string_view set);

// A fallback DescriptorDatabase: files come from DescriptorPool::generated_pool(), so no
// /usr/include lookups happen at run time. One instance per compilation: it records what it
// could not find, which (as the last resort after the source tree) are the unresolved imports.
class WellKnownTypesDatabase : public google::protobuf::DescriptorDatabase {
  public:
    WellKnownTypesDatabase();

    bool FindFileByName(const std::string& filename,
                        google::protobuf::FileDescriptorProto* output) override;
    bool FindFileContainingSymbol(const std::string&,
                                  google::protobuf::FileDescriptorProto*) override {
        return false;
    }
    bool FindFileContainingExtension(const std::string&, int,
                                     google::protobuf::FileDescriptorProto*) override {
        return false;
    }

    const std::set<std::string>& misses() const { return misses_; }

  private:
    std::set<std::string> misses_;
};

}  // namespace spoke
