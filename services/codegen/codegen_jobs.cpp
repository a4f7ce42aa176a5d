#include "services/codegen/codegen_jobs.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <random>

#include "common/hex.hpp"

namespace spoke {
namespace {

// 128 random bits as hex: unguessable, so one client cannot read another's job by counting.
std::string random_job_id() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        // OpenSSL's generator failing is near impossible; the OS source is the fallback.
        std::random_device device;
        for (unsigned char& b : bytes) b = static_cast<unsigned char>(device());
    }
    return lower_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace

std::shared_ptr<GenerationProgress> GenerationProgress::finished(int64_t duration_ms,
                                                                 std::string artifact_sha256) {
    auto p = std::make_shared<GenerationProgress>(0);
    p->state_.stage = Stage::Completed;
    p->state_.duration_ms = duration_ms;
    p->state_.artifact_sha256 = std::move(artifact_sha256);
    return p;
}

void GenerationProgress::set_running() {
    std::lock_guard lock(mutex_);
    if (state_.stage == Stage::Queued) state_.stage = Stage::Running;
}

void GenerationProgress::set_completed(int64_t now_ms, std::string artifact_sha256) {
    std::lock_guard lock(mutex_);
    state_.stage = Stage::Completed;
    state_.duration_ms = std::max<int64_t>(0, now_ms - started_ms_);
    state_.artifact_sha256 = std::move(artifact_sha256);
}

void GenerationProgress::set_failed(int64_t now_ms, std::string error) {
    std::lock_guard lock(mutex_);
    state_.stage = Stage::Failed;
    state_.duration_ms = std::max<int64_t>(0, now_ms - started_ms_);
    state_.error = std::move(error);
}

GenerationProgress::View GenerationProgress::view(int64_t now_ms) const {
    std::lock_guard lock(mutex_);
    View v = state_;
    if (v.stage == Stage::Queued || v.stage == Stage::Running) {
        v.duration_ms = std::max<int64_t>(0, now_ms - started_ms_);
    }
    return v;
}

std::string_view stage_name(GenerationProgress::Stage stage) {
    switch (stage) {
        case GenerationProgress::Stage::Queued:
            return "queued";
        case GenerationProgress::Stage::Running:
            return "running";
        case GenerationProgress::Stage::Completed:
            return "completed";
        case GenerationProgress::Stage::Failed:
            return "failed";
    }
    return "failed";
}

std::string CompileJobTable::add(CompileJob job, int64_t now_ms) {
    std::string id = random_job_id();
    std::lock_guard lock(mutex_);
    expire(now_ms);
    while (!order_.empty() && jobs_.size() >= max_jobs_) {
        jobs_.erase(order_.front());
        order_.pop_front();
    }
    jobs_[id] = Stored{std::move(job), now_ms};
    order_.push_back(id);
    return id;
}

std::optional<CompileJob> CompileJobTable::find(std::string_view id, int64_t now_ms) const {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end() || now_ms - it->second.added_ms >= ttl_ms_) return std::nullopt;
    return it->second.job;
}

size_t CompileJobTable::size() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void CompileJobTable::expire(int64_t now_ms) {
    // Ids are added in time order, so the expired ones are at the front.
    while (!order_.empty()) {
        auto it = jobs_.find(order_.front());
        if (it != jobs_.end() && now_ms - it->second.added_ms < ttl_ms_) break;
        if (it != jobs_.end()) jobs_.erase(it);
        order_.pop_front();
    }
}

}  // namespace spoke
