#pragma once
// FilesystemBackend: the embedded default StorageBackend, a FilesystemStore shared by every loop.

#include <cstddef>
#include <memory>
#include <string>

#include "backends/filesystem/filesystem_store.hpp"
#include "backends/filesystem/root_lock.hpp"
#include "backends/storage.hpp"

namespace spoke {

class FilesystemBackend final : public StorageBackend {
  public:
    FilesystemBackend(RootLock lock, std::unique_ptr<FilesystemStore> store)
        : lock_(std::move(lock)), store_(std::move(store)) {}

    std::string name() const override { return "filesystem"; }
    std::unique_ptr<Storage> attach(EventLoop& loop, WorkerPool& pool) override;

    FilesystemStore& store() { return *store_; }

  private:
    RootLock lock_;  // held for as long as the store is open
    std::unique_ptr<FilesystemStore> store_;
};

// Opens the store at `root` (SPOKE_FILESYSTEM_ROOT), creating it if missing, with a content
// cache of `cache_bytes` (SPOKE_L1_CACHE_SIZE). Fails with a message for the operator if the
// root is not a writable directory or another process already serves it.
Result<std::unique_ptr<StorageBackend>> open_filesystem_backend(std::string root,
                                                                size_t cache_bytes);

}  // namespace spoke
