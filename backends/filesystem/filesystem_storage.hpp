#pragma once
// FilesystemStorage: one event loop's asynchronous Storage over the shared FilesystemStore.
// Index reads answer from memory on a later loop iteration; disk work runs on the WorkerPool.
// API tokens are files (TokenFiles), read and written on the WorkerPool.

#include "backends/filesystem/filesystem_store.hpp"
#include "backends/filesystem/filesystem_subject_store.hpp"
#include "backends/filesystem/token_files.hpp"
#include "backends/storage.hpp"

namespace spoke {

class FilesystemStorage final : public Storage {
  public:
    // `store`, `tokens`, `subjects`, `loop` and `pool` outlive this adapter and every job it
    // started.
    FilesystemStorage(FilesystemStore& store, TokenFiles& tokens, SubjectFiles& subjects,
                      EventLoop& loop, WorkerPool& pool)
        : store_(store),
          tokens_(tokens),
          subjects_(subjects, loop, pool),
          loop_(loop),
          pool_(pool) {}

    void create_module(std::string name, std::string description, Completion<Module> done) override;
    void get_module(std::string name, Completion<Module> done) override;
    void list_modules(ModuleQuery query, Completion<ModulePage> done) override;
    void set_compatibility(std::string module, std::string level, Completion<Module> done) override;
    void list_versions(std::string module, Completion<std::vector<VersionRecord>> done) override;
    void get_module_with_versions(std::string name, Completion<ModuleWithVersions> done) override;
    void get_version(std::string module, std::string version,
                     Completion<VersionSnapshotPtr> done) override;
    void dependency_closure(std::vector<VersionRef> roots,
                            Completion<std::vector<VersionRecord>> done) override;
    void load_versions(std::vector<VersionRef> refs,
                       Completion<std::vector<VersionSnapshotPtr>> done) override;
    void put_version(VersionDraft draft, Completion<PutVersionResult> done) override;
    void list_dependents(VersionRef ref, Completion<std::vector<VersionRef>> done) override;
    void put_artifact(std::string key, std::string bytes, Completion<Unit> done) override;
    void get_artifact(std::string key, Completion<std::optional<std::string>> done) override;
    void create_token(ApiToken token, Completion<ApiToken> done) override;
    void find_token(std::string secret_hash, Completion<std::optional<ApiToken>> done) override;
    void list_tokens(Completion<std::vector<ApiToken>> done) override;
    void revoke_token(std::string id, Completion<ApiToken> done) override;
    void record_token_use(std::vector<TokenUse> uses, Completion<Unit> done) override;
    void check_health(Completion<std::vector<StorageCheck>> done) override;
    SubjectStore& subjects() override { return subjects_; }

  private:
    template <class T>
    void complete_later(Completion<T> done, Result<T> result);
    template <class T>
    void on_pool(Callback<Result<T>()> work, Completion<T> done);

    FilesystemStore& store_;
    TokenFiles& tokens_;
    FilesystemSubjectStore subjects_;
    EventLoop& loop_;
    WorkerPool& pool_;
};

}  // namespace spoke
