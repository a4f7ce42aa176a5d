#pragma once
// FilesystemBackend: the embedded default StorageBackend, a FilesystemStore shared by every loop.

#include <cstddef>
#include <memory>
#include <string>

#include "backends/filesystem/filesystem_store.hpp"
#include "backends/storage.hpp"

namespace spoke {

class FilesystemBackend final : public StorageBackend {
  public:
    explicit FilesystemBackend(std::unique_ptr<FilesystemStore> store) : store_(std::move(store)) {}

    std::string name() const override { return "filesystem"; }
    std::unique_ptr<Storage> attach(EventLoop& loop, WorkerPool& pool) override;

    FilesystemStore& store() { return *store_; }

  private:
    std::unique_ptr<FilesystemStore> store_;
};

// Opens the store at `root` (SPOKE_FILESYSTEM_ROOT), creating it if missing, with a content
// cache of `cache_bytes` (SPOKE_L1_CACHE_SIZE). Fails with a message for the operator if the
// root is not a writable directory.
Result<std::unique_ptr<StorageBackend>> open_filesystem_backend(std::string root,
                                                                size_t cache_bytes);

}  // namespace spoke
