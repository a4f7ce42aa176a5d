#pragma once
// Span: one finished span, as OTLP describes it. SpanSink: where finished spans go (the OTLP
// exporter in the server; any thread may submit, and a sink never waits on its collector).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spoke {

struct Span {
    enum class Kind { Internal = 1, Server = 2, Client = 3 };
    std::string trace_id, span_id, parent_span_id;  // hex; parent empty for a root span
    std::string name;
    Kind kind = Kind::Internal;
    int64_t start_unix_ns = 0;
    int64_t end_unix_ns = 0;
    bool error = false;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::vector<std::pair<std::string, int64_t>> int_attributes;
};

class SpanSink {
  public:
    virtual ~SpanSink() = default;
    // Any thread; never blocks on the collector.
    virtual void submit(Span span) = 0;
};

}  // namespace spoke
