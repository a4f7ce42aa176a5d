#pragma once
// CodegenHandler: the code generation routes, as an HTTP adapter over CodegenService. GET
// /api/v1/languages; POST .../compile (202 with a job, 200 when every language was already
// stored); GET .../compile/{job_id}; GET .../download/{language}?format=zip|tar.gz (generated on
// demand, waiting for it).

#include "handlers/loop_services.hpp"
#include "reactor/router.hpp"

namespace spoke {

class CodegenHandler {
  public:
    CodegenHandler(LoopServices& services, Services& app) : services_(services), app_(app) {}

    void languages(HttpExchange& ex, const RouteParams& params) const;
    void compile(HttpExchange& ex, const RouteParams& params) const;
    void compile_status(HttpExchange& ex, const RouteParams& params) const;
    void download(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
    Services& app_;
};

}  // namespace spoke
