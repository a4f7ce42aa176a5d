#pragma once
// CodegenService: process-wide code generation for the API loops. Finds an artifact in storage,
// else generates it once (single flight: identical concurrent requests, from any loop, share one
// generation) through a bounded queue on the worker pool, stores both archive formats by content
// key, and hands the result back to each waiting request on its own loop. Knows nothing of HTTP:
// the handlers decode a request, make one call here and encode what comes back.

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
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "registry/codegen/generator_runner.hpp"
#include "registry/codegen/language_catalog.hpp"
#include "registry/push_request.hpp"
#include "services/codegen/codegen_generation.hpp"
#include "services/codegen/codegen_jobs.hpp"

namespace spoke {

class EventLoop;
class WorkerPool;
class Storage;

// SPOKE_CODEGEN_* and the compile limits, fixed at start-up.
struct CodegenSettings {
    size_t queue_capacity = 64;                      // generations admitted and not finished
    std::chrono::milliseconds timeout{60000};        // per generation
    PushLimits limits;                               // for compiling the stored files again
    size_t max_jobs = 10000;                         // compile jobs remembered
    std::chrono::milliseconds job_ttl{3600 * 1000};  // and for how long
};

// Where one request's steps run: the request's loop (its completions run there) and that loop's
// storage adapter. Both outlive every operation started with them.
class VersionReader;

struct CodegenLoop {
    EventLoop& loop;
    Storage& storage;
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

// A download: one language's archive of one version (`module` and `version` as asked, "latest"
// included; names already checked to be possible).
struct DownloadQuery {
    std::string module;
    std::string version;
    std::string language;  // a catalog id
    ArchiveFormat format = ArchiveFormat::Zip;
    bool include_grpc = false;
};
struct Download {
    VersionRecord record;  // the version it is of, as stored
    const LanguageInfo* language = nullptr;
    ArchiveFormat format = ArchiveFormat::Zip;
    ArchiveBlob archive;
};

// A compile job: generations started (or found) for several languages of one version.
struct CompileQuery {
    std::string module;
    std::string version;
    std::vector<std::string> languages;  // catalog ids, no duplicates
    bool include_grpc = false;
};
struct CompileStarted {
    std::string job_id;
    CompileJob job;
    bool all_cached = false;  // every language was already stored
};

class CodegenService {
  public:
    // Starts nothing: generations run on `pool`, which must outlive every one of them (stop()
    // before destroying the pool). Plugins run as child processes (run_plugin_process).
    CodegenService(LanguageCatalog catalog, WorkerPool& pool, CodegenSettings settings);
    CodegenService(const CodegenService&) = delete;
    CodegenService& operator=(const CodegenService&) = delete;

    const LanguageCatalog& catalog() const { return runner_.catalog(); }
    CompileJobTable& jobs() { return jobs_; }

    // On `at.loop`; `done` runs on it (at once for a query it refuses). The archive, from
    // storage or generated for it. NotFound for an unknown language, version or module;
    // BadRequest for gRPC where the language has none; InvalidProto "generation failed: ..."
    // when the version cannot be generated; Unavailable when the queue is full or storage is
    // down.
    void download(CodegenLoop at, const VersionReader& reader, DownloadQuery query,
                  Callback<void(Result<Download>)> done);

    // On `at.loop`; `done` runs on it (at once for a query it refuses). Finds or queues every
    // language's generation and records them as a new job. BadRequest for an unknown language or
    // gRPC where a language has none; NotFound for an unknown version or module; Unavailable
    // when the queue is full (languages already queued go on) or storage is down.
    void compile(CodegenLoop at, const VersionReader& reader, CompileQuery query,
                 Callback<void(Result<CompileStarted>)> done);

    // Any thread. The job `job_id` (live: its progress is shared) when it was made for
    // `module` at `version` (either spelling of the version, or as the job's request spelled
    // it); NotFound otherwise.
    Result<CompileJob> compile_job(const std::string& module, const std::string& version,
                                   const std::string& job_id, int64_t now_ms) const;

    // On `at.loop`: looks the artifact up in storage, else joins its generation or starts one.
    // `done` runs later on that loop. Unavailable when the queue is full (or storage is down);
    // a failed generation's error (InvalidProto "generation failed: ...") with `wait`.
    void obtain(CodegenLoop at, ArtifactRequest request,
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
    // Held by a generation on the pool; gives its place to the next waiting one when it ends.
    class RunningSlot {
      public:
        explicit RunningSlot(CodegenService* owner) : owner_(owner) {}
        RunningSlot(RunningSlot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
        RunningSlot& operator=(RunningSlot&&) = delete;
        ~RunningSlot() {
            if (owner_ != nullptr) owner_->job_ended();
        }

      private:
        CodegenService* owner_;
    };

    std::string generator_identity(const LanguageInfo& language, bool include_grpc) const;
    std::string key_of(const ArtifactRequest& request) const;
    void lookup(CodegenLoop at, std::unique_ptr<Pending> pending, bool may_retry);
    void admit(CodegenLoop at, std::unique_ptr<Pending> pending, bool may_retry);
    void start_flight(CodegenLoop at, std::string key, ArtifactRequest request,
                      std::shared_ptr<GenerationProgress> progress);
    void generate(CodegenLoop at, std::string key, GenerationJob job,
                  std::shared_ptr<GenerationProgress> progress);
    void store(CodegenLoop at, std::string key, const LanguageInfo* language,
               GeneratedArchives archives);
    void finish_flight(const std::string& key, const LanguageInfo* language,
                       Result<GeneratedArchives> result);
    // Calls `start` now (it puts one generation on the pool), or once a running generation
    // ends (any thread).
    void schedule(Task start);
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
    std::deque<Task> waiting_;  // generations not yet on the pool (their starts)
    size_t running_ = 0;        // generations on the pool
    bool stopped_ = false;
};

}  // namespace spoke
