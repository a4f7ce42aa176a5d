#pragma once
// Compile jobs: GenerationProgress (one generation's state, shared by every job that waits for
// it) and CompileJobTable (job id -> per-language progress, for GET .../compile/{job_id}).

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spoke {

// Thread-safe: the generation updates it on a worker or its loop while any loop reads it.
class GenerationProgress {
  public:
    enum class Stage { Queued, Running, Completed, Failed };
    struct View {
        Stage stage = Stage::Queued;
        int64_t duration_ms = 0;      // until it ended, or so far
        std::string artifact_sha256;  // Completed only
        std::string error;            // Failed only
    };

    explicit GenerationProgress(int64_t started_ms) : started_ms_(started_ms) {}
    // An artifact found in storage: completed from the start.
    static std::shared_ptr<GenerationProgress> finished(int64_t duration_ms,
                                                        std::string artifact_sha256);

    void set_running();
    void set_completed(int64_t now_ms, std::string artifact_sha256);
    void set_failed(int64_t now_ms, std::string error);
    View view(int64_t now_ms) const;

  private:
    const int64_t started_ms_;
    mutable std::mutex mutex_;
    View state_;  // guarded by mutex_; duration_ms is set when it ends
};

std::string_view stage_name(GenerationProgress::Stage stage);  // "queued", "running", ...

// One language of a compile job.
struct CompileJobEntry {
    std::string language;
    bool cache_hit = false;
    std::shared_ptr<const GenerationProgress> progress;
};

// One POST .../compile: which version it was for, and its languages in request order.
struct CompileJob {
    std::string module;
    std::string version;            // as stored
    std::string requested_version;  // as the request spelled it ("latest", ...)
    std::vector<CompileJobEntry> results;
};

// Process-wide, thread-safe. A job is kept for `ttl` after it was added and the table holds at
// most `max_jobs` (the oldest go first): status polls are for a job in progress, not history.
class CompileJobTable {
  public:
    CompileJobTable(size_t max_jobs, int64_t ttl_ms) : max_jobs_(max_jobs), ttl_ms_(ttl_ms) {}

    // Stores `job` under a new random 128-bit id (32 lowercase hex characters) and returns it.
    std::string add(CompileJob job, int64_t now_ms);
    // The job (its progress objects are shared, so the copy is live), nullopt when unknown or
    // expired.
    std::optional<CompileJob> find(std::string_view id, int64_t now_ms) const;
    size_t size() const;

  private:
    struct Stored {
        CompileJob job;
        int64_t added_ms = 0;
    };
    void expire(int64_t now_ms);  // mutex_ held

    const size_t max_jobs_;
    const int64_t ttl_ms_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Stored> jobs_;  // guarded by mutex_
    std::deque<std::string> order_;                 // ids, oldest first; guarded by mutex_
};

}  // namespace spoke
