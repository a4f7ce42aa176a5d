#pragma once
// ProcessMetrics: the process_* family every Prometheus client exports (CPU, memory, descriptors,
// start time), read from getrusage and /proc at each scrape so dashboards and alerts written for
// any service work on Spoke unchanged.

#include <string>

namespace spoke {

class ProcessMetrics {
  public:
    // Reads the start time once: it never changes and /proc/stat's boot time is a file read.
    ProcessMetrics();

    // Appends the samples in Prometheus text format; a value /proc does not give is left out.
    void render(std::string& out) const;

  private:
    double start_time_seconds_ = 0;  // 0: unknown, not rendered
};

}  // namespace spoke
