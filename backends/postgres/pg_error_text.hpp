#pragma once
// operator_error_text: a PostgreSQL or libpq message made fit for readiness and status output.

#include <string>
#include <string_view>

namespace spoke {

// One line, bounded, and never a fragment of a malformed connection string (which could hold a
// password).
std::string operator_error_text(std::string_view message);

}  // namespace spoke
