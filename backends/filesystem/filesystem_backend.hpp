#pragma once
// FilesystemBackend: the embedded default StorageBackend, a FilesystemStore and the root's
// TokenFiles and SubjectFiles, shared by every loop.

#include <cstddef>
#include <memory>
#include <string>

#include "backends/filesystem/filesystem_store.hpp"
#include "backends/filesystem/root_lock.hpp"
#include "backends/filesystem/subject_files.hpp"
#include "backends/filesystem/token_files.hpp"
#include "backends/storage.hpp"

namespace spoke {

class FilesystemBackend final : public StorageBackend {
  public:
    FilesystemBackend(RootLock lock, std::unique_ptr<FilesystemStore> store,
                      std::unique_ptr<TokenFiles> tokens, std::unique_ptr<SubjectFiles> subjects)
        : lock_(std::move(lock)),
          store_(std::move(store)),
          tokens_(std::move(tokens)),
          subjects_(std::move(subjects)) {}

    std::string name() const override { return "filesystem"; }
    std::unique_ptr<Storage> attach(EventLoop& loop, WorkerPool& pool) override;

    FilesystemStore& store() { return *store_; }
    TokenFiles& tokens() { return *tokens_; }

  private:
    RootLock lock_;  // held for as long as the store is open
    std::unique_ptr<FilesystemStore> store_;
    std::unique_ptr<TokenFiles> tokens_;
    std::unique_ptr<SubjectFiles> subjects_;
};

// Opens the store at `root` (SPOKE_FILESYSTEM_ROOT), creating it if missing, with a content
// cache of `cache_bytes` (SPOKE_L1_CACHE_SIZE). Fails with a message for the operator if the
// root is not a writable directory or another process already serves it.
Result<std::unique_ptr<StorageBackend>> open_filesystem_backend(std::string root,
                                                                size_t cache_bytes);

}  // namespace spoke
