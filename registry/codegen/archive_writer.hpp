#pragma once
// write_archive: generated files packed as a zip or tar.gz download, byte-for-byte reproducible.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "registry/codegen/generated_files.hpp"

namespace spoke {

enum class ArchiveFormat { Zip, TarGz };

// "zip" or "tar.gz" (the `format` query parameter); nullopt otherwise.
std::optional<ArchiveFormat> parse_archive_format(std::string_view text);
std::string_view archive_format_name(ArchiveFormat format);  // "zip", "tar.gz"
std::string_view archive_media_type(ArchiveFormat format);   // "application/zip", ...

// Packs `files` in path order as regular files with mode 0644, owner 0:0 without names and
// mtime 0 (the epoch; zip's DOS time then reads 1980-01-01 in every time zone), and no gzip
// timestamp: identical files give identical bytes, which the content-addressed artifact store
// relies on. Internal when libarchive fails or a path is unsafe (see is_safe_output_path).
Result<std::string> write_archive(const GeneratedFiles& files, ArchiveFormat format);

}  // namespace spoke
