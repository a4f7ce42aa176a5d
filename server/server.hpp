#pragma once
// run_server: assembles storage, worker pool, API loops and the control plane; returns the exit
// code.

#include "server/config.hpp"

namespace spoke {

int run_server(Config config);

struct PostgresBackendOptions;
// The postgres storage type's options from the configuration (also used by the token command).
PostgresBackendOptions postgres_options(const Config& c, size_t cache_bytes);

}  // namespace spoke
