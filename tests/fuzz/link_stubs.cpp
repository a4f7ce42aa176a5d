// Link-only stand-ins for the few functions of the HTTP layer that spoke_fuzz_codecs' source files
// reference from encoders no target calls (the sanitizer coverage tables keep every function, so
// the linker cannot drop those encoders). Reaching one is a fuzz harness bug: it aborts.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "handlers/error_response.hpp"

namespace spoke {

// handlers/error_response.cpp (needs reactor/): named by incompatible_push_to_json.
std::string_view error_code_name(ErrorCode) {
    std::fputs("fuzz harness: error_code_name is a link stub (tests/fuzz/link_stubs.cpp)\n",
               stderr);
    std::abort();
}

}  // namespace spoke
