#pragma once
// Listening TCP sockets for the loops: one SO_REUSEPORT socket per loop, or one shared socket.

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace spoke {

// A bound, listening, non-blocking, close-on-exec socket. `reuse_port` lets several sockets share
// the address (the kernel spreads connections across them).
Result<int> listen_tcp(const std::string& host, uint16_t port, bool reuse_port, int backlog = 4096);

}  // namespace spoke
