#pragma once
// RootLock: an exclusive flock on "<root>/LOCK", held for the process's life, so two servers never
// share a filesystem root (each would clear the other's staging area and miss its writes).

#include <string>

#include "common/result.hpp"

namespace spoke {

class RootLock {
  public:
    // Creates `root` if missing. Fails (for the operator) if another process holds the lock.
    static Result<RootLock> acquire(const std::string& root);
    RootLock(RootLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    RootLock& operator=(RootLock&&) = delete;
    RootLock(const RootLock&) = delete;
    ~RootLock();

  private:
    explicit RootLock(int fd) : fd_(fd) {}
    int fd_;
};

}  // namespace spoke
