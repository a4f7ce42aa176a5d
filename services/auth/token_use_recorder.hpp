#pragma once
// TokenUseRecorder: remembers when each API token was last used on one loop and writes those
// times to storage in one batch per interval, so a request never waits on (or costs) a write.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/timestamp.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

class EventLoop;
class Storage;

class TokenUseRecorder {
  public:
    TokenUseRecorder(EventLoop& loop, Storage& storage, std::chrono::milliseconds interval);
    ~TokenUseRecorder();
    TokenUseRecorder(const TokenUseRecorder&) = delete;
    TokenUseRecorder& operator=(const TokenUseRecorder&) = delete;

    void note(const std::string& secret_hash, TimestampMs at);
    // Writes what is pending now (also called by the timer).
    void flush();

  private:
    Storage& storage_;
    const std::chrono::milliseconds interval_;
    std::unordered_map<std::string, TimestampMs> pending_;
    bool writing_ = false;  // one batch at a time: a slow store never piles up writes
    std::unique_ptr<Timer> timer_;
    Lifetime lifetime_;  // last: ends first
};

}  // namespace spoke
