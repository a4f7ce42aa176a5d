#pragma once
// WorkAdmissions: the process-wide bounds on worker-pool work, one WorkAdmission per kind of work
// the services queue (SPOKE_WORK_QUEUE each), so a burst is refused with 503 instead of queueing
// without end.

#include <array>
#include <cstddef>

#include "reactor/work_admission.hpp"

namespace spoke {

struct WorkAdmissions {
    explicit WorkAdmissions(size_t capacity)
        : compile("compile", capacity),
          lint("lint", capacity),
          compatibility("compatibility", capacity),
          validate("validate", capacity) {}
    WorkAdmissions(const WorkAdmissions&) = delete;
    WorkAdmissions& operator=(const WorkAdmissions&) = delete;

    WorkAdmission compile;        // compiles of pushed and stored versions
    WorkAdmission lint;           // lint and source-info stripping of a push
    WorkAdmission compatibility;  // compatibility checks and diffs
    WorkAdmission validate;       // POST /validate (compile and lint together)

    std::array<const WorkAdmission*, 4> all() const {
        return {&compile, &lint, &compatibility, &validate};
    }
};

}  // namespace spoke
