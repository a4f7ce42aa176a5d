#include "registry/codegen/archive_writer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <new>

namespace spoke {
namespace {

struct ArchiveFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// libarchive's output callback: C code calls it, so nothing may throw out of it.
la_ssize_t append_to_string(archive*, void* client, const void* buffer, size_t length) {
    try {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
        return static_cast<la_ssize_t>(length);
    } catch (const std::bad_alloc&) {
        return -1;
    }
}

Error archive_failure(archive* a, const std::string& what) {
    const char* message = archive_error_string(a);
    return Error::internal("archive: " + what + ": " + (message ? message : "unknown error"));
}

Status configure(archive* a, ArchiveFormat format) {
    switch (format) {
        case ArchiveFormat::Zip:
            if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
                archive_write_zip_set_compression_deflate(a) != ARCHIVE_OK) {
                return archive_failure(a, "zip set-up");
            }
            break;
        case ArchiveFormat::TarGz:
            // pax_restricted: plain ustar headers unless a path needs a pax extension.
            if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
                archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
                archive_write_set_filter_option(a, "gzip", "timestamp", nullptr) != ARCHIVE_OK) {
                return archive_failure(a, "tar.gz set-up");
            }
            break;
    }
    // No padding after the last block: a zip must end with its central directory.
    if (archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
        return archive_failure(a, "block set-up");
    }
    return ok_status();
}

Status add_file(archive* a, const std::string& path, const std::string& content) {
    if (!is_safe_output_path(path)) {
        return Error::internal("archive: unsafe entry path " + quote_value(path));
    }
    EntryPtr entry(archive_entry_new());
    if (!entry) return Error::internal("archive: out of memory");
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
        return archive_failure(a, "header of " + path);
    }
    size_t written = 0;
    while (written < content.size()) {
        const la_ssize_t n =
            archive_write_data(a, content.data() + written, content.size() - written);
        if (n <= 0) return archive_failure(a, "data of " + path);
        written += static_cast<size_t>(n);
    }
    if (archive_write_finish_entry(a) != ARCHIVE_OK) return archive_failure(a, "end of " + path);
    return ok_status();
}

}  // namespace

std::optional<ArchiveFormat> parse_archive_format(std::string_view text) {
    if (text == "zip") return ArchiveFormat::Zip;
    if (text == "tar.gz") return ArchiveFormat::TarGz;
    return std::nullopt;
}

std::string_view archive_format_name(ArchiveFormat format) {
    return format == ArchiveFormat::Zip ? "zip" : "tar.gz";
}

std::string_view archive_media_type(ArchiveFormat format) {
    return format == ArchiveFormat::Zip ? "application/zip" : "application/gzip";
}

Result<std::string> write_archive(const GeneratedFiles& files, ArchiveFormat format) {
    // Declared before the archive: freeing an archive that was not closed flushes into it.
    std::string out;
    ArchivePtr a(archive_write_new());
    if (!a) return Error::internal("archive: out of memory");
    if (Status s = configure(a.get(), format); !s) return std::move(s).error();
    if (archive_write_open2(a.get(), &out, nullptr, &append_to_string, nullptr, nullptr) !=
        ARCHIVE_OK) {
        return archive_failure(a.get(), "open");
    }
    for (const auto& [path, content] : files) {
        if (Status s = add_file(a.get(), path, content); !s) return std::move(s).error();
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) return archive_failure(a.get(), "close");
    return out;
}

}  // namespace spoke
