#include "services/codegen/codegen_service.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "backends/storage.hpp"
#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/guarded_work.hpp"
#include "reactor/log.hpp"
#include "reactor/trace_scope.hpp"
#include "reactor/worker_pool.hpp"
#include "registry/codegen/inprocess_generators.hpp"
#include "registry/digest.hpp"
#include "services/codegen/artifact_key.hpp"
#include "services/codegen/plugin_process.hpp"

namespace spoke {
namespace {

// Finished generations remembered for requests that missed in storage just before the store.
constexpr size_t kRecentKeys = 4096;
// Archives up to this size are hashed on the loop; larger ones on a worker.
constexpr size_t kHashOnLoopBytes = 64 * 1024;

// A plugin is known by its binary's digest, not its path: the same plugin installed anywhere
// gives the same key on every instance, and an upgraded one gives a new key.
std::string binary_identity(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return "path " + path;
    return "sha256:" + sha256_hex(bytes);
}

// What a job status may show: Internal errors name library state, so they stay in the log.
std::string public_message(const Error& e) {
    if (e.code == ErrorCode::Internal) return "internal error while generating code";
    return e.message;
}

void to_blob(WorkerPool& pool, EventLoop& loop, std::string bytes,
             Callback<void(Result<ArchiveBlob>)> done) {
    if (bytes.size() <= kHashOnLoopBytes) return done(make_archive_blob(std::move(bytes)));
    run_guarded<ArchiveBlob>(
        pool, loop, "archive hashing",
        [bytes = std::move(bytes)]() mutable -> Result<ArchiveBlob> {
            return make_archive_blob(std::move(bytes));
        },
        std::move(done));
}

// A generation that failed for a reason of ours (a stored version that no longer compiles, a
// generator that crashed, a library exception) is still a failed generation to the client: 422
// as the contract says, with a message naming no path or library state; the cause goes to the
// log.
Error generation_failure(const LanguageInfo& language, Error e) {
    if (e.code != ErrorCode::Internal) return e;
    Log::write(
        LogLevel::Error, "code generation failed",
        {{"language", std::string_view(language.id)}, {"error", std::string_view(e.message)}});
    return Error{
        ErrorCode::InvalidProto,
        "generation failed: " + language.id + ": the code generator failed for this version",
        {}};
}

}  // namespace

std::string_view codegen_outcome_name(CodegenOutcome outcome) {
    switch (outcome) {
        case CodegenOutcome::CacheHit:
            return "cache_hit";
        case CodegenOutcome::Generated:
            return "generated";
        case CodegenOutcome::Joined:
            return "joined";
        case CodegenOutcome::Failed:
            return "failed";
        case CodegenOutcome::Rejected:
            return "rejected";
    }
    return "failed";
}

CodegenService::CodegenService(LanguageCatalog catalog, WorkerPool& pool, CodegenSettings settings)
    : runner_(std::move(catalog), GenerationLimits{settings.timeout, 256u << 20},
              run_plugin_process),
      pool_(pool),
      settings_(settings),
      max_running_(std::max(1u, (pool.size() + 1) / 2)),
      jobs_(settings_.max_jobs, settings_.job_ttl.count()),
      counters_(std::make_unique<std::atomic<uint64_t>[]>(runner_.catalog().languages().size() *
                                                          kCodegenOutcomes)) {
    // libprotobuf builds the descriptors every generator sees, so its version is always part.
    const std::string base = inprocess_generator_description();
    for (const LanguageInfo& l : runner_.catalog().languages()) {
        std::string identity = base;
        if (l.plugin) identity += " + plugin " + binary_identity(l.plugin->path);
        std::string with_grpc = identity;
        if (l.grpc_plugin) with_grpc += " + grpc plugin " + binary_identity(l.grpc_plugin->path);
        identities_.push_back({std::move(identity), std::move(with_grpc)});
    }
}

std::string CodegenService::generator_identity(const LanguageInfo& language,
                                               bool include_grpc) const {
    const size_t index = static_cast<size_t>(&language - runner_.catalog().languages().data());
    return identities_.at(index)[include_grpc ? 1 : 0];
}

std::string CodegenService::key_of(const ArtifactRequest& request) const {
    GenerationInputs inputs;
    inputs.version_digest = request.root->record.digest;
    for (const VersionRecord& d : request.dependencies)
        inputs.dependency_digests.push_back(d.digest);
    inputs.language = request.language->id;
    inputs.include_grpc = request.include_grpc;
    inputs.generator = generator_identity(*request.language, request.include_grpc);
    return generation_key(inputs);
}

void CodegenService::obtain(CodegenLoop at, ArtifactRequest request,
                            Callback<void(Result<ArtifactStatus>)> done) {
    auto pending = std::make_unique<Pending>();
    pending->key = key_of(request);
    pending->request = std::move(request);
    pending->started_ms = monotonic_ms();
    pending->done = std::move(done);
    lookup(at, std::move(pending), true);
}

void CodegenService::lookup(CodegenLoop at, std::unique_ptr<Pending> pending, bool may_retry) {
    std::string key = artifact_key(pending->key, pending->request.format);
    at.storage.get_artifact(std::move(key), [this, at, pending = std::move(pending), may_retry](
                                                Result<std::optional<std::string>> got) mutable {
        if (!got) return pending->done(std::move(got).error());
        if (!*got) return admit(at, std::move(pending), may_retry);
        add(*pending->request.language, CodegenOutcome::CacheHit);
        to_blob(pool_, at.loop, std::move(**got),
                [pending = std::move(pending)](Result<ArchiveBlob> hashed) mutable {
                    if (!hashed) return pending->done(std::move(hashed).error());
                    ArchiveBlob blob = std::move(*hashed);
                    ArtifactStatus status;
                    status.cache_hit = true;
                    status.progress = GenerationProgress::finished(
                        monotonic_ms() - pending->started_ms, blob.sha256);
                    status.archive = std::move(blob);
                    pending->done(std::move(status));
                });
    });
}

void CodegenService::admit(CodegenLoop at, std::unique_ptr<Pending> pending, bool may_retry) {
    const LanguageInfo& language = *pending->request.language;
    const ArchiveFormat format = pending->request.format;
    const bool wait = pending->request.wait;
    // A waiter hears of the generation on its own loop; it owns the request's completion.
    auto waiter = [&](std::shared_ptr<const GenerationProgress> progress) {
        // In its own request's trace, though the generation may belong to another's.
        return Waiter{
            &at.loop,
            in_current_trace(ArchivesDone([format, progress, done = std::move(pending->done)](
                                              Result<GeneratedArchives> archives) mutable {
                if (!archives) return done(std::move(archives).error());
                done(ArtifactStatus{false, std::move(progress), archives->of(format)});
            }))};
    };

    std::unique_lock lock(mutex_);
    if (auto it = flights_.find(pending->key); it != flights_.end()) {
        std::shared_ptr<const GenerationProgress> progress = it->second.progress;
        if (wait) it->second.waiters.push_back(waiter(progress));
        lock.unlock();
        add(language, CodegenOutcome::Joined);
        if (!wait) pending->done(ArtifactStatus{false, std::move(progress), std::nullopt});
        return;
    }
    if (may_retry && recent_.contains(pending->key)) {
        lock.unlock();
        return lookup(at, std::move(pending), false);
    }
    if (flights_.size() >= settings_.queue_capacity) {
        lock.unlock();
        add(language, CodegenOutcome::Rejected);
        return pending->done(Error::unavailable("the code generation queue is full (" +
                                                std::to_string(settings_.queue_capacity) +
                                                " generations); retry later"));
    }
    auto progress = std::make_shared<GenerationProgress>(monotonic_ms());
    Flight& flight = flights_[pending->key];
    flight.progress = progress;
    if (wait) flight.waiters.push_back(waiter(progress));
    lock.unlock();
    start_flight(at, pending->key, std::move(pending->request), progress);
    if (!wait) pending->done(ArtifactStatus{false, std::move(progress), std::nullopt});
}

void CodegenService::start_flight(CodegenLoop at, std::string key, ArtifactRequest request,
                                  std::shared_ptr<GenerationProgress> progress) {
    GenerationJob job{request.root, {}, request.language->id, request.include_grpc};
    if (request.dependencies.empty()) {
        return generate(at, std::move(key), std::move(job), std::move(progress));
    }
    std::vector<VersionRef> refs;
    refs.reserve(request.dependencies.size());
    for (const VersionRecord& d : request.dependencies) refs.push_back({d.module_name, d.version});
    at.storage.load_versions(
        std::move(refs),
        [this, at, key = std::move(key), job = std::move(job), progress = std::move(progress),
         language = request.language](Result<std::vector<VersionSnapshotPtr>> loaded) mutable {
            if (!loaded) return finish_flight(key, language, std::move(loaded).error());
            job.dependencies = std::move(*loaded);
            generate(at, std::move(key), std::move(job), std::move(progress));
        });
}

void CodegenService::generate(CodegenLoop at, std::string key, GenerationJob job,
                              std::shared_ptr<GenerationProgress> progress) {
    const LanguageInfo* language = catalog().find(job.language);
    schedule([this, at, key = std::move(key), job = std::move(job), progress = std::move(progress),
              language]() mutable {
        run_guarded<GeneratedArchives>(
            pool_, at.loop, "code generation",
            [this, job = std::move(job), progress = std::move(progress),
             slot = RunningSlot(this)]() -> Result<GeneratedArchives> {
                progress->set_running();
                return generate_archives(job, runner_, settings_.limits, settings_.timeout);
            },
            [this, at, key = std::move(key), language](Result<GeneratedArchives> result) mutable {
                if (!result) {
                    return finish_flight(key, language,
                                         generation_failure(*language, std::move(result).error()));
                }
                store(at, std::move(key), language, std::move(*result));
            });
    });
}

void CodegenService::store(CodegenLoop at, std::string key, const LanguageInfo* language,
                           GeneratedArchives archives) {
    // tar.gz first and zip last: a stored zip (what compile looks for) means both are there.
    Storage& storage = at.storage;
    std::string tar_gz_key = artifact_key(key, ArchiveFormat::TarGz);
    std::string tar_gz_bytes = *archives.tar_gz.bytes;  // copied before `archives` moves
    storage.put_artifact(std::move(tar_gz_key), std::move(tar_gz_bytes),
                         [this, &storage, key = std::move(key), language,
                          archives = std::move(archives)](Status stored) mutable {
                             // Not stored: the archives still answer the requests that wait for
                             // them; the next request generates them again.
                             if (!stored) {
                                 Log::write(LogLevel::Warn, "code generation artifact not stored",
                                            {{"language", std::string_view(language->id)},
                                             {"error", std::string_view(stored.error().message)}});
                                 return finish_flight(key, language, std::move(archives));
                             }
                             std::string zip_key = artifact_key(key, ArchiveFormat::Zip);
                             std::string zip_bytes = *archives.zip.bytes;
                             storage.put_artifact(
                                 std::move(zip_key), std::move(zip_bytes),
                                 [this, key = std::move(key), language,
                                  archives = std::move(archives)](Status stored) mutable {
                                     if (!stored) {
                                         Log::write(
                                             LogLevel::Warn, "code generation artifact not stored",
                                             {{"language", std::string_view(language->id)},
                                              {"error", std::string_view(stored.error().message)}});
                                     }
                                     finish_flight(key, language, std::move(archives));
                                 });
                         });
}

void CodegenService::finish_flight(const std::string& key, const LanguageInfo* language,
                                   Result<GeneratedArchives> result) {
    Flight flight;
    const int64_t now = monotonic_ms();
    {
        std::lock_guard lock(mutex_);
        auto node = flights_.extract(key);
        if (node.empty()) return;
        flight = std::move(node.mapped());
        // The end is recorded before the lock drops: whoever sees the flight gone (queue_depth)
        // sees its progress and its outcome counted too.
        if (result) {
            flight.progress->set_completed(now, result->zip.sha256);
            add(*language, CodegenOutcome::Generated);
            if (recent_.insert(key).second) {
                recent_order_.push_back(key);
                if (recent_order_.size() > kRecentKeys) {
                    recent_.erase(recent_order_.front());
                    recent_order_.pop_front();
                }
            }
        } else {
            flight.progress->set_failed(now, public_message(result.error()));
            add(*language, CodegenOutcome::Failed);
        }
    }
    if (!result && result.error().code == ErrorCode::Internal) {
        Log::write(LogLevel::Error, "code generation failed",
                   {{"language", std::string_view(language->id)},
                    {"error", std::string_view(result.error().message)}});
    }
    for (Waiter& w : flight.waiters) {
        w.loop->post([done = std::move(w.done), result]() mutable { done(std::move(result)); });
    }
}

void CodegenService::schedule(Task start) {
    std::unique_lock lock(mutex_);
    if (stopped_) return;
    if (running_ >= max_running_) {
        waiting_.push_back(in_current_trace(std::move(start)));
        return;
    }
    ++running_;
    lock.unlock();
    start();
}

void CodegenService::job_ended() {
    std::unique_lock lock(mutex_);
    if (stopped_ || waiting_.empty()) {
        --running_;
        return;
    }
    // The place passes to the next generation: running_ stays.
    Task next = std::move(waiting_.front());
    waiting_.pop_front();
    lock.unlock();
    next();
}

void CodegenService::stop() {
    std::deque<Task> dropped;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        dropped.swap(waiting_);
    }
}

void CodegenService::add(const LanguageInfo& language, CodegenOutcome outcome) {
    const size_t index = static_cast<size_t>(&language - runner_.catalog().languages().data());
    counters_[index * kCodegenOutcomes + static_cast<size_t>(outcome)].fetch_add(
        1, std::memory_order_relaxed);
}

uint64_t CodegenService::count(const LanguageInfo& language, CodegenOutcome outcome) const {
    const size_t index = static_cast<size_t>(&language - runner_.catalog().languages().data());
    return counters_[index * kCodegenOutcomes + static_cast<size_t>(outcome)].load(
        std::memory_order_relaxed);
}

size_t CodegenService::queue_depth() const {
    std::lock_guard lock(mutex_);
    return flights_.size();
}

}  // namespace spoke
