#pragma once
// run_server: assembles storage, worker pool, API loops and the control plane; returns the exit
// code.

#include "server/config.hpp"

namespace spoke {

int run_server(Config config);

}  // namespace spoke
