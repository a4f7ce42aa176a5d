#pragma once
// SpanExporter: sends finished spans to an OpenTelemetry collector over OTLP/HTTP (JSON), in
// batches, from a thread of its own: a loop only queues a span (bounded; a full queue drops it
// and counts it), so a slow or hanging collector never slows a request.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "reactor/span.hpp"

namespace spoke {

struct SpanExporterSettings {
    std::string endpoint;  // the collector's base URL; spans go to <endpoint>/v1/traces
    std::string service_name = "spoke-registry";
    std::string service_version;
    bool insecure = false;  // https without certificate checks
    size_t max_queue = 4096;
    size_t max_batch = 512;
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds timeout{2000};
};

class SpanExporter final : public SpanSink {
  public:
    explicit SpanExporter(SpanExporterSettings settings);
    ~SpanExporter() override;  // stop()
    SpanExporter(const SpanExporter&) = delete;
    SpanExporter& operator=(const SpanExporter&) = delete;

    // Any thread; never waits for the collector.
    void submit(Span span) override;
    // Sends what is queued (one last attempt, bounded by the timeout) and ends the thread.
    void stop();

    // spoke_otel_spans_total{result="exported"|"dropped"} and export failures.
    void append_metrics(std::string& out) const;
    const SpanExporterSettings& settings() const { return settings_; }

    // The OTLP/HTTP JSON body of `spans` (exposed for tests).
    std::string encode(const std::vector<Span>& spans) const;

  private:
    void run();
    bool send(const std::string& body);

    const SpanExporterSettings settings_;
    const std::string url_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Span> queue_;
    bool stopping_ = false;
    std::atomic<uint64_t> exported_{0};
    std::atomic<uint64_t> dropped_{0};
    std::atomic<uint64_t> failed_exports_{0};
    std::thread thread_;  // started by the constructor once the rest is ready
};

}  // namespace spoke
