#pragma once
// TokenFiles: the synchronous, thread-safe, crash-safe store of API tokens under a filesystem
// storage root, one file per token:
//   tokens/<secret_hash>.json   (mode 0600, in a 0700 directory; see record_json.hpp)
//   tokens/.lock                (writers' flock)
//   tokens/.tmp-*               (files being written; renamed into place when complete)
//
// Named by the hash, so find() is one file read: no index to load or keep current, and a token
// another process wrote (`spoke-server token create` next to a running server) is seen at once.
// That process needs nothing but the root path: TokenFiles never takes the root's LOCK and
// touches nothing outside tokens/.
//
// Readers take no lock: every file is replaced whole by rename. Writers (create, revoke,
// record_use) serialize on an flock of tokens/.lock, taken on a descriptor of their own, so
// that threads and processes exclude each other alike and a revocation is never overwritten by
// a concurrent read-modify-write.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "registry/api_token.hpp"

namespace spoke {

class TokenFiles {
  public:
    // `root` is the storage root (SPOKE_FILESYSTEM_ROOT). Constructing touches nothing.
    explicit TokenFiles(std::string root);
    TokenFiles(const TokenFiles&) = delete;
    TokenFiles& operator=(const TokenFiles&) = delete;

    // Creates the root (if missing) and tokens/ (0700) durably, and removes temp files that a
    // writer which crashed left more than an hour ago. Internal (naming the path: for the
    // operator) when that is not possible.
    Status ensure_dir();

    // Stores a new token and returns it as stored. BadRequest for a malformed secret_hash;
    // Internal (token_contract::token_clash) when its secret hash or its id is already stored.
    Result<ApiToken> create(const ApiToken& token);
    // The token stored under `secret_hash`, nullopt when none is. BadRequest for a malformed
    // hash (it becomes a file name); Internal for a file that cannot be read or decoded.
    Result<std::optional<ApiToken>> find(std::string_view secret_hash) const;
    // Every readable token, oldest first (token_contract::sort_tokens). Temp files are not
    // tokens; unreadable or malformed files are skipped with a log line.
    Result<std::vector<ApiToken>> list() const;
    // Sets revoked_at to `now` unless it is set already, and returns the stored record.
    // NotFound for an unknown id.
    Result<ApiToken> revoke(std::string_view id, TimestampMs now);
    // Raises last_used_at to the latest time given per hash, never lowering it; unknown or
    // malformed hashes are ignored. One directory sync for the whole batch.
    Status record_use(const std::vector<TokenUse>& uses);

    // "<root>/tokens".
    const std::string& dir() const { return dir_; }

  private:
    std::string path_of(std::string_view secret_hash) const;
    // Reads and decodes one token file; nullopt when it does not exist. Internal (logged) for a
    // file that is unreadable, malformed, or holds another hash than its name.
    Result<std::optional<ApiToken>> read(std::string_view secret_hash) const;
    // Writes `token` to its file through a synced temp file, without syncing the directory:
    // `exclusive` fails with token_clash when the file exists, otherwise it is replaced.
    Status place(const ApiToken& token, bool exclusive) const;
    // Syncs tokens/ so the names placed are durable.
    Status sync_dir() const;

    std::string root_;
    std::string dir_;
};

}  // namespace spoke
