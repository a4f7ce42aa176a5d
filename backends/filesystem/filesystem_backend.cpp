#include "backends/filesystem/filesystem_backend.hpp"

#include "backends/filesystem/filesystem_storage.hpp"

namespace spoke {

std::unique_ptr<Storage> FilesystemBackend::attach(EventLoop& loop, WorkerPool& pool) {
    return std::make_unique<FilesystemStorage>(*store_, *tokens_, *subjects_, loop, pool);
}

Result<std::unique_ptr<StorageBackend>> open_filesystem_backend(std::string root,
                                                                size_t cache_bytes) {
    // Lock before open(): opening clears the staging area, which another live server may be using.
    auto lock = RootLock::acquire(root);
    if (!lock) return std::move(lock).error();
    auto tokens = std::make_unique<TokenFiles>(root);
    auto subjects = std::make_unique<SubjectFiles>(root);
    auto store = FilesystemStore::open(std::move(root), cache_bytes);
    if (!store) return std::move(store).error();
    if (auto made = tokens->ensure_dir(); !made) return std::move(made).error();
    if (auto opened = subjects->open(); !opened) return std::move(opened).error();
    return std::unique_ptr<StorageBackend>(std::make_unique<FilesystemBackend>(
        std::move(lock).value(), std::move(store).value(), std::move(tokens), std::move(subjects)));
}

}  // namespace spoke
