#pragma once
// Internal to the compatibility checker: the rule families and what they share.
// ElementIndex: one image's own elements by the keys buf pairs them on. ViolationSink: collects
// the violations of one direction. One check_* function per family of rules, each in its own
// compat_rules_*.cpp; every one compares `older` (the data writer) with `newer` (the reader).

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_image.hpp"

namespace spoke::compat {

namespace pb = google::protobuf;

// buf pairs files by path and everything else by fully-qualified name (fields by number inside
// their message, extensions by extendee and number), wherever in the image the element lives.
struct ElementIndex {
    std::map<std::string, const pb::FileDescriptor*> files;  // by path
    std::map<std::string, const pb::Descriptor*> messages;   // nested and map entries too
    std::map<std::string, const pb::EnumDescriptor*> enums;  // nested too
    std::map<std::string, const pb::ServiceDescriptor*> services;
    std::map<std::pair<std::string, int>, const pb::FieldDescriptor*> extensions;
};
ElementIndex index_elements(const SchemaImage& image);

class ViolationSink {
  public:
    // `file` may be null (then the path is empty).
    void add(const char* rule, ViolationLevel level, std::string message,
             const pb::FileDescriptor* file, int line, std::string element,
             std::string old_value = {}, std::string new_value = {});
    std::vector<Violation>& violations() { return violations_; }

  private:
    std::vector<Violation> violations_;
};

// The images' own elements, indexed once per check.
struct ImagePair {
    const ElementIndex& older;
    const ElementIndex& newer;
};

void check_files(const ImagePair& images, ViolationSink& sink);
void check_messages(const ImagePair& images, ViolationSink& sink);
void check_fields(const ImagePair& images, ViolationSink& sink);
void check_enums(const ImagePair& images, ViolationSink& sink);
void check_services(const ImagePair& images, ViolationSink& sink);

// --- shared helpers ---

// 1-based line of the declaration at `path` (SourceCodeInfo encoding) in `file`, or 0.
int line_at(const pb::FileDescriptor* file, std::initializer_list<int> path);
// The name of an element relative to its file's package ("Outer.Inner"), as buf's per-file
// deletion rules key on it.
std::string nested_name(const std::string& full_name, const pb::FileDescriptor* file);
// "int32", "string", ... or the fully-qualified message/enum name ("group " + name for a group).
std::string field_type_name(const pb::FieldDescriptor* field);
// Field "3" with name "email" on message "acme.v1.User" (buf's wording).
std::string describe_field(const pb::FieldDescriptor* field);
// The element name of a field: "acme.v1.User.email"; extensions by their own full name.
std::string field_element(const pb::FieldDescriptor* field);
// In double quotes, escaped (defaults may hold any bytes).
std::string quoted(const std::string& s);
// How many values a field holds, in buf's terms (presence matters only for the source).
enum class Cardinality { OptionalExplicit, OptionalImplicit, Required, Repeated, Map };
Cardinality cardinality_of(const pb::FieldDescriptor* field);
const char* cardinality_name(Cardinality c);  // "optional with explicit presence", "map", ...
// "acme.v1.Status.ACTIVE": enum values scoped by their enum (C++ full names skip it).
std::string enum_value_element(const pb::EnumDescriptor* e, const std::string& value_name);
// Closed enums (proto2) drop unknown values; open enums (proto3) keep them.
bool is_closed_enum(const pb::EnumDescriptor* e);
// The json_format feature as editions resolve it for proto2/proto3 files: ALLOW for proto3.
bool json_format_allowed(const pb::FileDescriptor* file);

// An inclusive range of field or enum numbers (reserved or extension ranges).
struct TagRange {
    int64_t start = 0;
    int64_t end = 0;
};
// The parts of `range` that no range of `ranges` covers (ranges may overlap or touch).
std::vector<TagRange> uncovered_parts(TagRange range, std::vector<TagRange> ranges);
// "[5]", "[5,9]" or "[5,max]".
std::string range_text(TagRange range, int64_t max);
bool in_ranges(int64_t number, const std::vector<TagRange>& ranges);

}  // namespace spoke::compat
