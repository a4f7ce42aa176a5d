#include "registry/codegen/memory_generator_context.hpp"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <optional>
#include <utility>

namespace spoke {

namespace pb = google::protobuf;

// A stream that buffers everything and hands it to the context when the generator destroys it,
// as protoc's own in-memory stream does: insertions land in the order their streams close.
class MemoryGeneratorContext::BufferStream : public pb::io::ZeroCopyOutputStream {
  public:
    BufferStream(MemoryGeneratorContext& context, Mode mode, std::string filename,
                 std::string insertion_point)
        : context_(context),
          mode_(mode),
          filename_(std::move(filename)),
          insertion_point_(std::move(insertion_point)) {}
    ~BufferStream() override {
        // The inner stream trims the buffer to what was written only when it goes away.
        stream_.reset();
        context_.commit(mode_, filename_, insertion_point_, std::move(buffer_));
    }

    bool Next(void** data, int* size) override { return stream_->Next(data, size); }
    void BackUp(int count) override { stream_->BackUp(count); }
    int64_t ByteCount() const override { return stream_->ByteCount(); }

  private:
    MemoryGeneratorContext& context_;
    Mode mode_;
    std::string filename_;
    std::string insertion_point_;
    std::string buffer_;
    std::optional<pb::io::StringOutputStream> stream_{std::in_place, &buffer_};
};

namespace {

// `data` with `indent` before each non-empty line; ends with a newline.
std::string indented(const std::string& data, const std::string& indent) {
    std::string out;
    out.reserve(data.size() + indent.size() * 8);
    size_t start = 0;
    while (start < data.size()) {
        size_t end = data.find('\n', start);
        if (end == std::string::npos) end = data.size();
        if (end > start) out += indent;
        out.append(data, start, end - start);
        out += '\n';
        start = end + 1;
    }
    return out;
}

// protoc's rule: the data goes at the start of the line holding the marker, indented like the
// marker, or just before an inline "/* @@protoc_insertion_point(NAME) */".
bool insert_at_point(std::string& target, const std::string& point, const std::string& data) {
    const std::string marker = "@@protoc_insertion_point(" + point + ")";
    size_t pos = target.find(marker);
    if (pos == std::string::npos) return false;
    if (pos >= 3 && target.compare(pos - 3, 2, "/*") == 0) {
        target.insert(pos - 3, data);
        return true;
    }
    const size_t newline = pos == 0 ? std::string::npos : target.rfind('\n', pos - 1);
    const size_t line_start = newline == std::string::npos ? 0 : newline + 1;
    const size_t indent_end = target.find_first_not_of(" \t", line_start);
    const std::string indent = target.substr(line_start, indent_end - line_start);
    target.insert(line_start, indent.empty() ? data : indented(data, indent));
    return true;
}

}  // namespace

MemoryGeneratorContext::MemoryGeneratorContext(std::vector<const pb::FileDescriptor*> parsed)
    : parsed_(std::move(parsed)) {}

MemoryGeneratorContext::~MemoryGeneratorContext() = default;

pb::io::ZeroCopyOutputStream* MemoryGeneratorContext::Open(const std::string& filename) {
    return new BufferStream(*this, Mode::Write, filename, {});  // libprotoc takes ownership
}

pb::io::ZeroCopyOutputStream* MemoryGeneratorContext::OpenForAppend(const std::string& filename) {
    return new BufferStream(*this, Mode::Append, filename, {});  // libprotoc takes ownership
}

pb::io::ZeroCopyOutputStream* MemoryGeneratorContext::OpenForInsert(
    const std::string& filename, const std::string& insertion_point) {
    return new BufferStream(*this, Mode::Insert, filename, insertion_point);  // ditto
}

void MemoryGeneratorContext::ListParsedFiles(std::vector<const pb::FileDescriptor*>* output) {
    *output = parsed_;
}

void MemoryGeneratorContext::write(const std::string& filename, std::string content) {
    commit(Mode::Write, filename, {}, std::move(content));
}

void MemoryGeneratorContext::append(const std::string& filename, std::string content) {
    commit(Mode::Append, filename, {}, std::move(content));
}

void MemoryGeneratorContext::insert(const std::string& filename, const std::string& insertion_point,
                                    std::string content) {
    commit(Mode::Insert, filename, insertion_point, std::move(content));
}

Status MemoryGeneratorContext::status() const {
    if (!first_failure_) return ok_status();
    return Error{ErrorCode::InvalidProto, "generation failed: " + *first_failure_, {}};
}

void MemoryGeneratorContext::fail(std::string message) {
    if (!first_failure_) first_failure_ = std::move(message);
}

void MemoryGeneratorContext::commit(Mode mode, const std::string& filename,
                                    const std::string& insertion_point, std::string content) {
    if (!is_safe_output_path(filename)) {
        fail("output path " + quote_value(filename) + " is not a relative path inside the output");
        return;
    }
    auto it = files_.find(filename);
    switch (mode) {
        case Mode::Write:
            if (it != files_.end()) {
                fail("two generated files have the path " + filename);
                return;
            }
            total_bytes_ += content.size();
            files_.emplace(filename, std::move(content));
            return;
        case Mode::Append:
            total_bytes_ += content.size();
            if (it == files_.end()) {
                files_.emplace(filename, std::move(content));
            } else {
                it->second += content;
            }
            return;
        case Mode::Insert:
            if (it == files_.end()) {
                fail("insertion into " + filename + ", which was not generated");
                return;
            }
            if (!insert_at_point(it->second, insertion_point, content)) {
                fail("insertion point " + quote_value(insertion_point) + " not found in " +
                     filename);
                return;
            }
            total_bytes_ += content.size();
            return;
    }
}

}  // namespace spoke
