#include "services/auth/token_use_recorder.hpp"

#include <vector>

#include "backends/storage.hpp"
#include "reactor/log.hpp"

namespace spoke {

TokenUseRecorder::TokenUseRecorder(EventLoop& loop, Storage& storage,
                                   std::chrono::milliseconds interval)
    : storage_(storage), interval_(interval) {
    timer_ = std::make_unique<Timer>(loop, [this] {
        flush();
        timer_->arm(interval_);
    });
    timer_->arm(interval_);
}

TokenUseRecorder::~TokenUseRecorder() = default;

void TokenUseRecorder::note(const std::string& secret_hash, TimestampMs at) {
    auto [it, inserted] = pending_.try_emplace(secret_hash, at);
    if (!inserted && it->second < at) it->second = at;
}

void TokenUseRecorder::flush() {
    if (pending_.empty() || writing_) return;
    std::vector<TokenUse> batch;
    batch.reserve(pending_.size());
    for (auto& [hash, at] : pending_) batch.push_back(TokenUse{hash, at});
    pending_.clear();
    writing_ = true;
    storage_.record_token_use(std::move(batch), lifetime_.bind([this](Result<Unit> r) {
        writing_ = false;
        // Lost times are only a less precise last_used_at: logged, not retried.
        if (!r) {
            Log::write(LogLevel::Warn, "could not record when tokens were last used",
                       {{"error", std::string_view(r.error().message)}});
        }
    }));
}

}  // namespace spoke
