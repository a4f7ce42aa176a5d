#include "backends/filesystem/token_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>

#include "backends/filesystem/durable_files.hpp"
#include "backends/filesystem/record_json.hpp"
#include "backends/token_contract.hpp"
#include "reactor/log.hpp"

namespace spoke {
namespace {

constexpr const char* kTokensDir = "tokens";
constexpr const char* kLockFile = ".lock";
constexpr const char* kTempPrefix = ".tmp-";
constexpr const char* kSuffix = ".json";
// A temp file older than this belongs to a writer that died: no write takes an hour.
constexpr auto kStaleTemp = std::chrono::hours(1);

// Details name paths, so they go to the operator's log; callers get a generic Internal.
void log_detail(std::string_view what, std::string_view detail) {
    Log::write(LogLevel::Warn, "token storage", {{"what", what}, {"detail", detail}});
}

std::string describe(int err, std::string_view op, const std::string& path) {
    return std::string(op) + " " + path + ": " + std::strerror(err);
}

Error write_failed() {
    return Error::internal("the token could not be stored");
}

// An exclusive flock on tokens/.lock for as long as it lives. Each holder opens the file itself:
// flock excludes other open file descriptions, so threads exclude each other as processes do.
class WriterLock {
  public:
    static Result<WriterLock> take(const std::string& dir) {
        const std::string path = fsio::join(dir, kLockFile);
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            log_detail("lock tokens", describe(errno, "open", path));
            return write_failed();
        }
        WriterLock lock(fd);
        int rc;
        do {
            rc = ::flock(fd, LOCK_EX);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) {
            log_detail("lock tokens", describe(errno, "flock", path));
            return write_failed();
        }
        return lock;
    }
    WriterLock(WriterLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    WriterLock& operator=(WriterLock&&) = delete;
    WriterLock(const WriterLock&) = delete;
    ~WriterLock() {
        if (fd_ >= 0) ::close(fd_);  // releases the flock
    }

  private:
    explicit WriterLock(int fd) : fd_(fd) {}
    int fd_;
};

// The hash a directory entry names ("<hash>.json"), or empty for anything else.
std::string_view hash_of_entry(std::string_view name) {
    const std::string_view suffix(kSuffix);
    if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) {
        return {};
    }
    std::string_view hash = name.substr(0, name.size() - suffix.size());
    return token_contract::is_secret_hash(hash) ? hash : std::string_view();
}

// Every token file's hash in `dir`; a missing directory holds none.
Result<std::vector<std::string>> token_hashes(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec == std::errc::no_such_file_or_directory) return out;
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;  // temp files and the lock
        std::string_view hash = hash_of_entry(name);
        if (hash.empty()) {
            log_detail("ignoring an entry that is not a token file", it->path().string());
            continue;
        }
        out.emplace_back(hash);
    }
    if (ec) {
        log_detail("list tokens", dir + ": " + ec.message());
        return Error::internal("the stored tokens could not be listed");
    }
    return out;
}

}  // namespace

TokenFiles::TokenFiles(std::string root)
    : root_(std::move(root)), dir_(fsio::join(root_, kTokensDir)) {}

std::string TokenFiles::path_of(std::string_view secret_hash) const {
    return fsio::join(dir_, std::string(secret_hash) + kSuffix);
}

Status TokenFiles::ensure_dir() {
    auto unusable = [&](const std::string& detail) -> Status {
        return Error::internal("token directory " + quote_value(dir_) +
                               " cannot be used: " + detail);
    };
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) return unusable(ec.message());
    struct stat st {};
    const bool existed = ::stat(dir_.c_str(), &st) == 0;
    if (auto io = fsio::make_dir(dir_, true); !io.ok()) return unusable(std::strerror(io.error));
    if (::stat(dir_.c_str(), &st) != 0) return unusable(std::strerror(errno));
    // The files are 0600 already; the directory closes the moment between a temp file's
    // creation (with the default mode) and its chmod. Owned by another user (a token command
    // run as root, say), it cannot be changed here: the operator learns it from the log.
    if ((st.st_mode & 07777) != 0700 && ::chmod(dir_.c_str(), 0700) != 0) {
        log_detail("restrict token directory", describe(errno, "chmod", dir_));
    }
    if (!existed) {
        if (auto io = fsio::fsync_dir(root_); !io.ok()) return unusable(io.detail);
    }
    const auto now = std::filesystem::file_time_type::clock::now();
    for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(kTempPrefix, 0) != 0) continue;
        std::error_code tec;
        const auto written = std::filesystem::last_write_time(it->path(), tec);
        if (!tec && now - written > kStaleTemp) std::filesystem::remove(it->path(), tec);
    }
    if (ec) return unusable(ec.message());
    return ok_status();
}

Result<std::optional<ApiToken>> TokenFiles::read(std::string_view secret_hash) const {
    const std::string path = path_of(secret_hash);
    std::string text;
    const fsio::IoResult io = fsio::read_file(path, text);
    if (io.error == ENOENT) return std::optional<ApiToken>();
    if (!io.ok()) {
        log_detail("read token", io.detail);
        return Error::internal("a stored token could not be read");
    }
    auto token = fsjson::decode_token(text);
    if (token && token->secret_hash != secret_hash) {
        token = Error::internal("stored token is malformed: secret_hash differs from its name");
    }
    if (!token) {
        log_detail("read token", path + ": " + token.error().message);
        return Error::internal("a stored token could not be read");
    }
    return std::optional<ApiToken>(std::move(token).value());
}

Status TokenFiles::place(const ApiToken& token, bool exclusive) const {
    auto text = fsjson::encode_token(token);
    if (!text) return std::move(text).error();
    const std::string tmp = fsio::join(dir_, fsio::unique_name(kTempPrefix));
    const std::string target = path_of(token.secret_hash);
    fsio::IoResult io = fsio::write_file_synced(tmp, *text);
    if (io.ok() && ::chmod(tmp.c_str(), 0600) != 0) {
        const int err = errno;
        io = {err, describe(err, "chmod", tmp)};
    }
    bool clash = false;
    if (io.ok() && exclusive) {
        // link(2) fails on an existing name where rename(2) would replace it.
        if (::link(tmp.c_str(), target.c_str()) != 0) {
            const int err = errno;
            clash = err == EEXIST;
            io = {err, describe(err, "link " + tmp + " to", target)};
        }
    } else if (io.ok()) {
        io = fsio::rename_path(tmp, target);
    }
    if (exclusive || !io.ok()) ::unlink(tmp.c_str());
    if (clash) return token_contract::token_clash();
    if (!io.ok()) {
        log_detail("store token", io.detail);
        return write_failed();
    }
    return ok_status();
}

Status TokenFiles::sync_dir() const {
    if (auto io = fsio::fsync_dir(dir_); !io.ok()) {
        log_detail("store token", io.detail);
        return write_failed();
    }
    return ok_status();
}

Result<ApiToken> TokenFiles::create(const ApiToken& token) {
    if (!token_contract::is_secret_hash(token.secret_hash)) {
        return token_contract::malformed_secret_hash();
    }
    auto lock = WriterLock::take(dir_);
    if (!lock) return std::move(lock).error();
    // The hash is unique by its file name (place() will not replace one); the id by this scan,
    // which the lock makes reliable against every other writer.
    auto existing = list();
    if (!existing) return std::move(existing).error();
    for (const ApiToken& t : *existing) {
        if (t.id == token.id) return token_contract::token_clash();
    }
    if (auto placed = place(token, true); !placed) return std::move(placed).error();
    if (auto synced = sync_dir(); !synced) return std::move(synced).error();
    return token;
}

Result<std::optional<ApiToken>> TokenFiles::find(std::string_view secret_hash) const {
    if (!token_contract::is_secret_hash(secret_hash))
        return token_contract::malformed_secret_hash();
    return read(secret_hash);
}

Result<std::vector<ApiToken>> TokenFiles::list() const {
    auto hashes = token_hashes(dir_);
    if (!hashes) return std::move(hashes).error();
    std::vector<ApiToken> out;
    out.reserve(hashes->size());
    for (const std::string& hash : *hashes) {
        // A file removed meanwhile reads as absent; a bad one was logged by read().
        auto token = read(hash);
        if (token && *token) out.push_back(std::move(**token));
    }
    token_contract::sort_tokens(out);
    return out;
}

Result<ApiToken> TokenFiles::revoke(std::string_view id, TimestampMs now) {
    auto lock = WriterLock::take(dir_);
    if (!lock) return std::move(lock).error();
    auto tokens = list();
    if (!tokens) return std::move(tokens).error();
    for (ApiToken& token : *tokens) {
        if (token.id != id) continue;
        if (token.revoked_at) return std::move(token);
        token.revoked_at = now;
        if (auto placed = place(token, false); !placed) return std::move(placed).error();
        if (auto synced = sync_dir(); !synced) return std::move(synced).error();
        return std::move(token);
    }
    return token_contract::token_missing(id);
}

Status TokenFiles::record_use(const std::vector<TokenUse>& uses) {
    std::map<std::string_view, TimestampMs> latest;
    for (const TokenUse& use : uses) {
        if (!token_contract::is_secret_hash(use.secret_hash)) continue;
        auto [it, inserted] = latest.emplace(use.secret_hash, use.at);
        if (!inserted && it->second < use.at) it->second = use.at;
    }
    if (latest.empty()) return ok_status();
    auto lock = WriterLock::take(dir_);
    if (!lock) return std::move(lock).error();
    // Every use is tried: one bad file does not keep the others' times from being recorded.
    Status result = ok_status();
    bool placed_any = false;
    for (const auto& [hash, at] : latest) {
        auto token = read(hash);
        if (!token || !*token) continue;  // unknown, or bad (logged by read())
        ApiToken& t = **token;
        if (t.last_used_at && *t.last_used_at >= at) continue;
        t.last_used_at = at;
        if (auto placed = place(t, false); !placed) {
            result = std::move(placed);
            continue;
        }
        placed_any = true;
    }
    if (placed_any) {
        if (auto synced = sync_dir(); !synced) return synced;
    }
    return result;
}

}  // namespace spoke
