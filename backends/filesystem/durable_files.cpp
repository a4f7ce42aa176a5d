#include "backends/filesystem/durable_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace spoke::fsio {
namespace {

IoResult failure(int err, std::string_view op, const std::string& path) {
    return {err, std::string(op) + " " + path + ": " + std::strerror(err)};
}

// Closes the descriptor on every path out of a function.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // close(2) can report a deferred write error, so writers check it.
    int release_and_close() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

  private:
    int fd_;
};

}  // namespace

IoResult write_file_synced(const std::string& path, std::string_view bytes) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) return failure(errno, "create", path);
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::write(fd.get(), p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return failure(errno, "write", path);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return failure(errno, "fsync", path);
    if (fd.release_and_close() != 0) return failure(errno, "close", path);
    return {};
}

IoResult read_file(const std::string& path, std::string& out) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return failure(errno, "open", path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return failure(errno, "stat", path);
    if (!S_ISREG(st.st_mode)) return failure(EINVAL, "not a regular file:", path);
    out.clear();
    out.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return failure(errno, "read", path);
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    if (got != out.size()) return failure(EIO, "short read of", path);
    return {};
}

IoResult make_dir(const std::string& path, bool exist_ok) {
    if (::mkdir(path.c_str(), 0755) == 0) return {};
    int err = errno;
    if (err == EEXIST && exist_ok) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
        return failure(ENOTDIR, "mkdir", path);
    }
    return failure(err, "mkdir", path);
}

IoResult fsync_dir(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return failure(errno, "open dir", path);
    if (::fsync(fd.get()) != 0) return failure(errno, "fsync dir", path);
    return {};
}

IoResult rename_path(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) == 0) return {};
    int err = errno;
    return {err, "rename " + from + " -> " + to + ": " + std::strerror(err)};
}

IoResult probe_write(const std::string& path) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return failure(errno, "create", path);
    ssize_t n;
    do {
        n = ::write(fd.get(), "p", 1);
    } while (n < 0 && errno == EINTR);
    int write_err = n == 1 ? 0 : (n < 0 ? errno : EIO);
    fd.release_and_close();
    ::unlink(path.c_str());
    if (write_err != 0) return failure(write_err, "write", path);
    return {};
}

bool remove_tree(const std::string& path, std::string* detail) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec && detail) *detail = "remove " + path + ": " + ec.message();
    return !ec;
}

std::string unique_name(std::string_view prefix) {
    static std::atomic<uint64_t> counter{0};
    auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
    return std::string(prefix) + std::to_string(::getpid()) + "-" + std::to_string(ns) + "-" +
           std::to_string(counter.fetch_add(1));
}

std::string join(std::string_view dir, std::string_view child) {
    std::string out(dir);
    if (!out.empty() && out.back() != '/') out += '/';
    out += child;
    return out;
}

}  // namespace spoke::fsio
