#pragma once
// MemoryGeneratorContext: a libprotoc GeneratorContext whose files live in memory.

#include <google/protobuf/compiler/code_generator.h>
#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "registry/codegen/generated_files.hpp"

namespace spoke {

// Collects what in-process generators and plugin responses write, with protoc's semantics:
// writing one file twice is an error, insertions go before the line holding
// "@@protoc_insertion_point(NAME)" (re-indented like it) of a file already written. The
// libprotoc interface cannot report failures, so the first one is kept and read from status().
class MemoryGeneratorContext : public google::protobuf::compiler::GeneratorContext {
  public:
    explicit MemoryGeneratorContext(std::vector<const google::protobuf::FileDescriptor*> parsed);
    ~MemoryGeneratorContext() override;

    google::protobuf::io::ZeroCopyOutputStream* Open(const std::string& filename) override;
    google::protobuf::io::ZeroCopyOutputStream* OpenForAppend(const std::string& filename) override;
    google::protobuf::io::ZeroCopyOutputStream* OpenForInsert(
        const std::string& filename, const std::string& insertion_point) override;
    void ListParsedFiles(std::vector<const google::protobuf::FileDescriptor*>* output) override;

    // The same operations for content that arrives whole (a plugin's response).
    void write(const std::string& filename, std::string content);
    void append(const std::string& filename, std::string content);
    void insert(const std::string& filename, const std::string& insertion_point,
                std::string content);

    // Ok, or the first problem seen (a file written twice, an unsafe path, a missing insertion
    // point), as InvalidProto "generation failed: ...".
    Status status() const;
    size_t total_bytes() const { return total_bytes_; }
    GeneratedFiles take_files() { return std::move(files_); }

  private:
    enum class Mode { Write, Append, Insert };
    class BufferStream;

    void commit(Mode mode, const std::string& filename, const std::string& insertion_point,
                std::string content);
    void fail(std::string message);

    std::vector<const google::protobuf::FileDescriptor*> parsed_;
    GeneratedFiles files_;
    size_t total_bytes_ = 0;
    std::optional<std::string> first_failure_;
};

}  // namespace spoke
