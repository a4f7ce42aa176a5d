#pragma once
// Picking versions out of a subject's list (oldest first, as SubjectStore lists them). No I/O.

#include <cstdint>
#include <vector>

#include "registry/confluent/subject_model.hpp"

namespace spoke {

// Version `version` (0: the highest live one) of `versions`; a soft-deleted one only when
// `include_deleted` (for 0: the highest of all when none is live). Null when there is none.
const SubjectVersion* find_subject_version(const std::vector<SubjectVersion>& versions,
                                           int64_t version, bool include_deleted);

// The live versions, newest first.
std::vector<SubjectVersion> live_newest_first(const std::vector<SubjectVersion>& versions);

// The live version holding the schema with `digest`, or null.
const SubjectVersion* live_version_with_digest(const std::vector<SubjectVersion>& versions,
                                               const std::string& digest);

}  // namespace spoke
