#pragma once
// POSIX file primitives for crash-safe writes: synced files, directory fsync, rename, removal.

#include <string>
#include <string_view>

namespace spoke::fsio {

// Outcome of one I/O call. `detail` names paths: it is for the log only, never for users.
struct IoResult {
    int error = 0;  // errno; 0 on success
    std::string detail;
    bool ok() const { return error == 0; }
};

// Creates `path` exclusively, writes all of `bytes`, fsyncs and closes it.
IoResult write_file_synced(const std::string& path, std::string_view bytes);
// Reads the whole regular file at `path` into `out`.
IoResult read_file(const std::string& path, std::string& out);
// mkdir(path, 0755); an existing directory is an error (EEXIST) unless `exist_ok`.
IoResult make_dir(const std::string& path, bool exist_ok = false);
// fsync on a directory, so the names created or renamed inside it are durable.
IoResult fsync_dir(const std::string& path);
// rename(2): atomic replacement of `to` (a directory target must be absent or empty).
IoResult rename_path(const std::string& from, const std::string& to);
// Creates, writes one byte to and unlinks `path` (no fsync): a cheap writability probe.
IoResult probe_write(const std::string& path);
// Best-effort recursive removal; returns false (with `detail`) if something stayed.
bool remove_tree(const std::string& path, std::string* detail = nullptr);
// A name unique in this process and across restarts: "<prefix><pid>-<ns>-<counter>".
std::string unique_name(std::string_view prefix);
// "dir/child" without doubling separators.
std::string join(std::string_view dir, std::string_view child);

}  // namespace spoke::fsio
