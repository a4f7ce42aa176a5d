#include "server/span_exporter.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>

#include "backends/s3/curl_multi.hpp"
#include "reactor/log.hpp"

namespace spoke {

namespace {

void append_attribute(std::string& out, std::string_view key, std::string_view value) {
    out += "{\"key\":";
    append_json_string(out, key);
    out += ",\"value\":{\"stringValue\":";
    append_json_string(out, value);
    out += "}}";
}

void append_decimal(std::string& out, int64_t value) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

size_t discard(char*, size_t size, size_t count, void*) {
    return size * count;
}

}  // namespace

SpanExporter::SpanExporter(SpanExporterSettings settings)
    : settings_(std::move(settings)),
      url_(settings_.endpoint.substr(0, settings_.endpoint.find_last_not_of('/') + 1) +
           "/v1/traces") {
    ensure_curl_global_init();  // before a second thread can use libcurl
    thread_ = std::thread([this] { run(); });
}

SpanExporter::~SpanExporter() {
    stop();
}

void SpanExporter::submit(Span span) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= settings_.max_queue) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        queue_.push_back(std::move(span));
        if (queue_.size() < settings_.max_batch) return;
    }
    wake_.notify_one();
}

void SpanExporter::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void SpanExporter::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, settings_.interval,
                       [this] { return stopping_ || queue_.size() >= settings_.max_batch; });
        const bool last = stopping_;
        while (!queue_.empty()) {
            std::vector<Span> batch;
            const size_t n = std::min(queue_.size(), settings_.max_batch);
            batch.reserve(n);
            for (size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            lock.unlock();
            const bool sent = send(encode(batch));
            (sent ? exported_ : dropped_).fetch_add(batch.size(), std::memory_order_relaxed);
            if (!sent) failed_exports_.fetch_add(1, std::memory_order_relaxed);
            lock.lock();
            if (!sent) break;  // the collector is down: wait for the next interval
        }
        if (last) return;
    }
}

bool SpanExporter::send(const std::string& body) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return false;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discard);
    if (settings_.insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    const bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    if (!ok) {
        Log::write(LogLevel::Debug, "trace export failed",
                   {{"error", std::string_view(rc != CURLE_OK ? curl_easy_strerror(rc)
                                                              : "collector refused the batch")},
                    {"status", static_cast<int64_t>(status)}});
    }
    return ok;
}

std::string SpanExporter::encode(const std::vector<Span>& spans) const {
    std::string out;
    out.reserve(512 + spans.size() * 512);
    out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
    append_attribute(out, "service.name", settings_.service_name);
    if (!settings_.service_version.empty()) {
        out += ",";
        append_attribute(out, "service.version", settings_.service_version);
    }
    out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"spoke\"},\"spans\":[";
    bool first = true;
    for (const Span& s : spans) {
        if (!first) out += ",";
        first = false;
        // Appends only: a temporary string per field was a third of what encoding cost.
        out.append("{\"traceId\":\"").append(s.trace_id);
        out.append("\",\"spanId\":\"").append(s.span_id).append("\"");
        if (!s.parent_span_id.empty()) {
            out.append(",\"parentSpanId\":\"").append(s.parent_span_id).append("\"");
        }
        out += ",\"name\":";
        append_json_string(out, s.name);
        out.append(",\"kind\":").append(1, static_cast<char>('0' + static_cast<int>(s.kind)));
        // 64-bit nanoseconds as strings: the OTLP JSON mapping of fixed64.
        out += ",\"startTimeUnixNano\":\"";
        append_decimal(out, s.start_unix_ns);
        out += "\",\"endTimeUnixNano\":\"";
        append_decimal(out, s.end_unix_ns);
        out += "\",\"attributes\":[";
        bool first_attribute = true;
        for (const auto& [key, value] : s.attributes) {
            if (!first_attribute) out += ",";
            first_attribute = false;
            append_attribute(out, key, value);
        }
        for (const auto& [key, value] : s.int_attributes) {
            if (!first_attribute) out += ",";
            first_attribute = false;
            out += "{\"key\":";
            append_json_string(out, key);
            out += ",\"value\":{\"intValue\":\"";
            append_decimal(out, value);
            out += "\"}}";
        }
        out += "],\"status\":{\"code\":";
        out += s.error ? "2" : "0";  // STATUS_CODE_ERROR : STATUS_CODE_UNSET
        out += "}}";
    }
    out += "]}]}]}";
    return out;
}

void SpanExporter::append_metrics(std::string& out) const {
    out +=
        "# HELP spoke_otel_spans_total Spans by what became of them (dropped: the queue was full "
        "or the collector failed).\n# TYPE spoke_otel_spans_total counter\n";
    out += "spoke_otel_spans_total{result=\"exported\"} " + std::to_string(exported_.load()) + "\n";
    out += "spoke_otel_spans_total{result=\"dropped\"} " + std::to_string(dropped_.load()) + "\n";
    out +=
        "# HELP spoke_otel_export_failures_total Batches the collector did not accept in time.\n"
        "# TYPE spoke_otel_export_failures_total counter\n";
    out += "spoke_otel_export_failures_total " + std::to_string(failed_exports_.load()) + "\n";
    size_t queued = 0;
    {
        std::lock_guard lock(mutex_);
        queued = queue_.size();
    }
    out +=
        "# HELP spoke_otel_queue_spans Spans waiting for export.\n"
        "# TYPE spoke_otel_queue_spans gauge\n";
    out += "spoke_otel_queue_spans " + std::to_string(queued) + "\n";
}

}  // namespace spoke
