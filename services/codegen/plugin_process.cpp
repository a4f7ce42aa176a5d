#include "services/codegen/plugin_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace spoke {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStderrTailBytes = 4096;
constexpr size_t kReadChunk = 64u << 10;

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    bool open() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
};

std::string errno_text(int err) {
    return std::strerror(err);
}

// A spawned child that is always reaped: the destructor kills its process group (it may have
// children of its own holding our pipes) and waits, unless it was already reaped.
class ChildProcess {
  public:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() {
        if (reaped_) return;
        kill_group();
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }

    void kill_group() {
        if (reaped_) return;
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
    }

    // Waits for the exit until `deadline`; false when it has not exited by then.
    bool wait_until(Clock::time_point deadline, int& status) {
        auto pause = std::chrono::microseconds(200);
        for (;;) {
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                reaped_ = true;
                return true;
            }
            if (r < 0 && errno != EINTR) {  // ECHILD: someone else reaped it; nothing to wait for
                reaped_ = true;
                status = 0;
                return true;
            }
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, std::chrono::microseconds(10000));
        }
    }

  private:
    pid_t pid_;
    bool reaped_ = false;
};

// The parent's ends of the child's stdin (a socket, so that writing after the child closed it
// fails with EPIPE instead of raising SIGPIPE), stdout and stderr.
struct ChildPipes {
    Fd stdin_writer;
    Fd stdout_reader;
    Fd stderr_reader;
};

Status set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return Error::internal("fcntl(O_NONBLOCK) failed: " + errno_text(errno));
    }
    return ok_status();
}

// posix_spawn attributes and file actions, destroyed on every path.
class SpawnSetup {
  public:
    SpawnSetup() {
        attr_ok_ = ::posix_spawnattr_init(&attr_) == 0;
        actions_ok_ = ::posix_spawn_file_actions_init(&actions_) == 0;
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        if (attr_ok_) ::posix_spawnattr_destroy(&attr_);
        if (actions_ok_) ::posix_spawn_file_actions_destroy(&actions_);
    }

    // The worker thread may block or ignore signals (SIGPIPE in a server); a plugin must start
    // with defaults, and in its own process group so that a kill reaches its children too.
    bool configure(int child_stdin, int child_stdout, int child_stderr) {
        if (!attr_ok_ || !actions_ok_) return false;
        sigset_t none;
        sigset_t all;
        sigemptyset(&none);
        sigfillset(&all);
        return ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                      POSIX_SPAWN_SETSIGDEF) == 0 &&
               ::posix_spawnattr_setpgroup(&attr_, 0) == 0 &&
               ::posix_spawnattr_setsigmask(&attr_, &none) == 0 &&
               ::posix_spawnattr_setsigdefault(&attr_, &all) == 0 &&
               ::posix_spawn_file_actions_adddup2(&actions_, child_stdin, STDIN_FILENO) == 0 &&
               ::posix_spawn_file_actions_adddup2(&actions_, child_stdout, STDOUT_FILENO) == 0 &&
               ::posix_spawn_file_actions_adddup2(&actions_, child_stderr, STDERR_FILENO) == 0;
    }

    const posix_spawnattr_t* attr() const { return &attr_; }
    const posix_spawn_file_actions_t* actions() const { return &actions_; }

  private:
    posix_spawnattr_t attr_{};
    posix_spawn_file_actions_t actions_{};
    bool attr_ok_ = false;
    bool actions_ok_ = false;
};

// Spawns `program` wired to fresh pipes; all descriptors are close-on-exec except the three the
// child gets by dup2.
Result<pid_t> spawn(const std::string& program, ChildPipes& parent) {
    int in[2];
    int out[2];
    int err[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) {
        return Error::internal("socketpair failed: " + errno_text(errno));
    }
    Fd in_child(in[0]);
    parent.stdin_writer = Fd(in[1]);
    if (::pipe2(out, O_CLOEXEC) < 0) return Error::internal("pipe failed: " + errno_text(errno));
    Fd out_child(out[1]);
    parent.stdout_reader = Fd(out[0]);
    if (::pipe2(err, O_CLOEXEC) < 0) return Error::internal("pipe failed: " + errno_text(errno));
    Fd err_child(err[1]);
    parent.stderr_reader = Fd(err[0]);

    SpawnSetup setup;
    if (!setup.configure(in_child.get(), out_child.get(), err_child.get())) {
        return Error::internal("posix_spawn set-up failed");
    }
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    pid_t pid = -1;
    const int rc =
        ::posix_spawn(&pid, program.c_str(), setup.actions(), setup.attr(), argv, environ);
    if (rc != 0) {
        return Error::unavailable("cannot start plugin " + program + ": " + errno_text(rc));
    }
    for (Fd* fd : {&parent.stdin_writer, &parent.stdout_reader, &parent.stderr_reader}) {
        if (Status s = set_nonblocking(fd->get()); !s) {
            ChildProcess reap(pid);  // kills and reaps on the way out
            return std::move(s).error();
        }
    }
    return pid;
}

// Reads what is available; false at end of file (or a read error, which ends the stream too).
bool drain(int fd, std::string& into, size_t keep_at_most, size_t& total_read) {
    char buf[kReadChunk];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            total_read += static_cast<size_t>(n);
            into.append(buf, static_cast<size_t>(n));
            if (into.size() > keep_at_most) into.erase(0, into.size() - keep_at_most);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;
    }
}

std::string with_stderr(std::string message, const std::string& stderr_tail) {
    size_t end = stderr_tail.find_last_not_of(" \n\r\t");
    if (end == std::string::npos) return message;
    return message + ": " + stderr_tail.substr(0, end + 1);
}

}  // namespace

Result<std::string> run_plugin_process(const std::string& program, std::string_view input,
                                       const PluginRunLimits& limits) {
    const Clock::time_point deadline = Clock::now() + limits.deadline;
    ChildPipes pipes;
    Result<pid_t> pid = spawn(program, pipes);
    if (!pid) return std::move(pid).error();
    ChildProcess child(*pid);

    std::string out;
    std::string err_tail;
    size_t out_total = 0;
    size_t err_total = 0;
    size_t written = 0;
    if (input.empty()) pipes.stdin_writer.reset();

    // Writing and reading interleave: a plugin may fill its stdout before it has read all of
    // its stdin, and neither side may then block on the other.
    while (pipes.stdin_writer.open() || pipes.stdout_reader.open() || pipes.stderr_reader.open()) {
        const auto left = deadline - Clock::now();
        if (left <= Clock::duration::zero()) {
            child.kill_group();
            return Error::unavailable(with_stderr("plugin " + program + " did not finish within " +
                                                      std::to_string(limits.deadline.count()) +
                                                      " ms",
                                                  err_tail));
        }
        pollfd fds[3];
        nfds_t n = 0;
        auto watch = [&](Fd& fd, short events) {
            if (!fd.open()) return;
            fds[n++] = {fd.get(), events, 0};
        };
        watch(pipes.stdin_writer, POLLOUT);
        watch(pipes.stdout_reader, POLLIN);
        watch(pipes.stderr_reader, POLLIN);
        const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        const int ready = ::poll(fds, n, static_cast<int>(std::min<int64_t>(wait_ms, 1000)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            child.kill_group();
            return Error::internal("poll failed: " + errno_text(errno));
        }
        for (nfds_t i = 0; i < n; ++i) {
            if (fds[i].revents == 0) continue;
            const int fd = fds[i].fd;
            if (fd == pipes.stdin_writer.get()) {
                const ssize_t w = ::send(fd, input.data() + written, input.size() - written,
                                         MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w > 0) written += static_cast<size_t>(w);
                // A plugin that stops reading (EPIPE) may still answer with an error response.
                const bool gone =
                    w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
                if (written == input.size() || gone) pipes.stdin_writer.reset();
            } else if (fd == pipes.stdout_reader.get()) {
                const bool more = drain(fd, out, limits.max_output_bytes + 1, out_total);
                if (out_total > limits.max_output_bytes) {
                    child.kill_group();
                    return Error{ErrorCode::PayloadTooLarge,
                                 "plugin " + program + " wrote more than " +
                                     std::to_string(limits.max_output_bytes) + " bytes",
                                 {}};
                }
                if (!more) pipes.stdout_reader.reset();
            } else if (fd == pipes.stderr_reader.get()) {
                if (!drain(fd, err_tail, kStderrTailBytes, err_total)) pipes.stderr_reader.reset();
            }
        }
    }

    int status = 0;
    if (!child.wait_until(deadline, status)) {
        child.kill_group();
        return Error::unavailable(with_stderr("plugin " + program + " did not exit within " +
                                                  std::to_string(limits.deadline.count()) + " ms",
                                              err_tail));
    }
    if (WIFSIGNALED(status)) {
        return Error::internal(with_stderr(
            "plugin " + program + " was killed by signal " + std::to_string(WTERMSIG(status)),
            err_tail));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return Error::internal(with_stderr(
            "plugin " + program + " exited with status " + std::to_string(WEXITSTATUS(status)),
            err_tail));
    }
    return out;
}

}  // namespace spoke
