#pragma once
// LinkedSchema: a serialized FileDescriptorSet linked back into a DescriptorPool for generators.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace spoke {

// The pool refers to the database and the database to the set: the three live and die together,
// so a LinkedSchema is neither copied nor moved (load() hands out a unique_ptr).
class LinkedSchema {
  public:
    // Links `descriptor_set` and finds `files_to_generate` in it; an empty list means every file
    // of the set except the well-known types (google/protobuf/...). Internal when the set does
    // not parse or link, or lacks a listed file: compiled schemas always link.
    static Result<std::unique_ptr<LinkedSchema>> load(
        std::string_view descriptor_set, const std::vector<std::string>& files_to_generate);

    LinkedSchema(const LinkedSchema&) = delete;
    LinkedSchema& operator=(const LinkedSchema&) = delete;

    // The files to generate, in the order given (or the set's order).
    const std::vector<const google::protobuf::FileDescriptor*>& targets() const { return targets_; }

    // The targets and everything they import, each after its imports (what a plugin's
    // CodeGeneratorRequest.proto_file must hold), as they appear in the set.
    std::vector<const google::protobuf::FileDescriptorProto*> closure() const;

  private:
    // Link errors reach us as a failed lookup; the first message names the cause. A member,
    // since the pool reports to it for as long as it lives.
    class FirstError : public google::protobuf::DescriptorPool::ErrorCollector {
      public:
        void AddError(const std::string& filename, const std::string& element_name,
                      const google::protobuf::Message*, ErrorLocation,
                      const std::string& message) override {
            if (first.empty()) first = filename + " (" + element_name + "): " + message;
        }
        std::string first;
    };

    LinkedSchema() = default;

    google::protobuf::FileDescriptorSet set_;
    FirstError link_errors_;
    std::unique_ptr<google::protobuf::SimpleDescriptorDatabase> database_;
    std::unique_ptr<google::protobuf::DescriptorPool> pool_;
    std::vector<const google::protobuf::FileDescriptor*> targets_;
};

}  // namespace spoke
