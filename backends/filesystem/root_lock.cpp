#include "backends/filesystem/root_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spoke {

Result<RootLock> RootLock::acquire(const std::string& root) {
    if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
        return Error::internal("filesystem root " + root +
                               " is not a writable directory: " + std::strerror(errno));
    }
    const std::string path = root + "/LOCK";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return Error::internal("filesystem root " + root +
                               " is not a writable directory: " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return Error::internal("filesystem root " + root +
                                   " is in use by another spoke-server (" + path + " is locked)");
        }
        return Error::internal("cannot lock " + path + ": " + std::strerror(err));
    }
    return RootLock(fd);
}

RootLock::~RootLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace spoke
