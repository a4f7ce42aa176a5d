#pragma once
// How a Confluent schema becomes .proto files for the compiler, and the one file Confluent's
// `?format=serialized` serves from a compiled set. No I/O.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace spoke {

// The path a subject's schemas are compiled under: the subject itself when it is a valid .proto
// path ("a/b.proto"), else "schema.proto". The same for every version of a subject, so the
// compatibility rules compare like with like.
std::string schema_root_path(std::string_view subject);

// The FileDescriptorProto named `path` in the serialized FileDescriptorSet `set`, serialized
// without source info. Internal when the set does not hold it.
Result<std::string> root_file_descriptor(std::string_view set, std::string_view path);

// The file `path` of the compiled set `set`, reprinted by libprotobuf in its canonical form
// (Confluent's ?normalize=true): comments and layout go, declarations keep their order (the
// message indexes of Confluent's wire format depend on it). InvalidProto when it cannot be
// rebuilt from the set.
Result<std::string> normalized_schema_text(std::string_view set, std::string_view path);

// Standard base64 (RFC 4648 §4) with padding, as Confluent serves descriptors.
std::string base64_encode(std::string_view bytes);

}  // namespace spoke
