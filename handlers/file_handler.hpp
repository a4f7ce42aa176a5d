#pragma once
// FileHandler: GET /modules/{name}/versions/{version}/files/{path...}, as JSON or raw bytes.

#include <optional>
#include <string_view>

#include "handlers/cache_keys.hpp"
#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"
#include "services/services.hpp"

namespace spoke {

// The representation an Accept header asks for: the first of application/json, text/plain and
// application/octet-stream it lists (q=0 entries skipped); JSON when it names none of them.
FileFormat negotiate_file_format(std::optional<std::string_view> accept);

class FileHandler {
  public:
    FileHandler(LoopServices& services, Services& app) : services_(services), app_(app) {}

    void get(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;  // the ResponseCache of rendered files
    Services& app_;
};

}  // namespace spoke
