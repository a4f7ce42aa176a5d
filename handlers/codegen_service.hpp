#pragma once
// CodegenService: process-wide code generation for the API loops. Finds an artifact in storage,
// else generates it once (single flight: identical concurrent requests, from any loop, share one
// generation) through a bounded queue on the worker pool, stores both archive formats by content
// key, and hands the result back to each waiting request on its own loop.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "handlers/codegen_generation.hpp"
#include "handlers/codegen_jobs.hpp"
#include "reactor/callback.hpp"
#include "registry/codegen/generator_runner.hpp"
#include "registry/codegen/language_catalog.hpp"
#include "registry/push_request.hpp"
#include "common/result.hpp"

namespace spoke {

class EventLoop;
class WorkerPool;
struct LoopServices;

// SPOKE_CODEGEN_* and the compile limits, fixed at start-up.
struct CodegenSettings {
    size_t queue_capacity = 64;                      // generations admitted and not finished
    std::chrono::milliseconds timeout{60000};        // per generation
    PushLimits limits;                               // for compiling the stored files again
    size_t max_jobs = 10000;                         // compile jobs remembered
    std::chrono::milliseconds job_ttl{3600 * 1000};  // and for how long
};

// How one language request of one version ended, for spoke_codegen_jobs_total.
enum class CodegenOutcome { CacheHit, Generated, Joined, Failed, Rejected };
inline constexpr size_t kCodegenOutcomes = 5;
std::string_view codegen_outcome_name(CodegenOutcome outcome);  // "cache_hit", ...

// One artifact wanted by a request.
struct ArtifactRequest {
    const LanguageInfo* language = nullptr;  // from the service's catalog
    bool include_grpc = false;               // the caller checked the language supports it
    VersionSnapshotPtr root;
    std::vector<VersionRecord> dependencies;  // the transitive closure, without the root
    ArchiveFormat format = ArchiveFormat::Zip;
    // Download: complete once the archive exists. Compile: complete once it is found or queued.
    bool wait = false;
};

// Where a request stands. `archive` (of the requested format) is set for a storage hit and,
// with `wait`, once generated.
struct ArtifactStatus {
    bool cache_hit = false;
    std::shared_ptr<const GenerationProgress> progress;
    std::optional<ArchiveBlob> archive;
};

class CodegenService {
  public:
    // Starts nothing: generations run on `pool`, which must outlive every one of them (stop()
    // before destroying the pool).
    CodegenService(LanguageCatalog catalog, WorkerPool& pool, CodegenSettings settings);
    CodegenService(const CodegenService&) = delete;
    CodegenService& operator=(const CodegenService&) = delete;

    const LanguageCatalog& catalog() const { return runner_.catalog(); }
    CompileJobTable& jobs() { return jobs_; }

    // On `services.loop`: looks the artifact up in storage, else joins its generation or starts
    // one. `done` runs later on that loop. Unavailable when the queue is full (or storage is
    // down); a failed generation's error (InvalidProto "generation failed: ...") with `wait`.
    void obtain(LoopServices& services, ArtifactRequest request,
                Callback<void(Result<ArtifactStatus>)> done);

    // Shutdown, before the pool is destroyed: generations not yet started are dropped (their
    // waiters' completions are destroyed unrun, as everything else posted to a stopped loop).
    void stop();

    // Metrics (any thread).
    uint64_t count(const LanguageInfo& language, CodegenOutcome outcome) const;
    size_t queue_depth() const;  // generations admitted and not finished

  private:
    using ArchivesDone = Callback<void(Result<GeneratedArchives>)>;
    struct Waiter {
        EventLoop* loop = nullptr;
        ArchivesDone done;
    };
    struct Flight {
        std::shared_ptr<GenerationProgress> progress;
        std::vector<Waiter> waiters;
    };
    struct Pending {  // one lookup or admission in progress
        ArtifactRequest request;
        std::string key;  // generation key
        int64_t started_ms = 0;
        Callback<void(Result<ArtifactStatus>)> done;
    };

    std::string generator_identity(const LanguageInfo& language, bool include_grpc) const;
    std::string key_of(const ArtifactRequest& request) const;
    void lookup(LoopServices& services, std::unique_ptr<Pending> pending, bool may_retry);
    void admit(LoopServices& services, std::unique_ptr<Pending> pending, bool may_retry);
    void start_flight(LoopServices& services, std::string key, ArtifactRequest request,
                      std::shared_ptr<GenerationProgress> progress);
    void generate(LoopServices& services, std::string key, GenerationJob job,
                  std::shared_ptr<GenerationProgress> progress);
    void store(LoopServices& services, std::string key, const LanguageInfo* language,
               GeneratedArchives archives);
    void finish_flight(const std::string& key, const LanguageInfo* language,
                       Result<GeneratedArchives> result);
    // Runs `job` on the pool now, or once a running generation ends (any thread).
    void schedule(Task job);
    void job_ended();
    void add(const LanguageInfo& language, CodegenOutcome outcome);

    GeneratorRunner runner_;
    WorkerPool& pool_;
    const CodegenSettings settings_;
    const size_t max_running_;  // generations on the pool at once, leaving workers for the rest
    CompileJobTable jobs_;
    // Per catalog language: its generator identity (with and without gRPC).
    std::vector<std::array<std::string, 2>> identities_;
    // Per catalog language and outcome.
    std::unique_ptr<std::atomic<uint64_t>[]> counters_;

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Flight> flights_;  // by generation key
    // Keys whose generation finished lately: a request that missed in storage just before the
    // artifact was stored looks again instead of generating it a second time.
    std::unordered_set<std::string> recent_;
    std::deque<std::string> recent_order_;
    std::deque<Task> waiting_;  // generations not yet on the pool
    size_t running_ = 0;        // generations on the pool
    bool stopped_ = false;
};

}  // namespace spoke
