#pragma once
// The listening sockets systemd (or another holder) passed in LISTEN_FDS, matched by name.

#include "common/result.hpp"

namespace spoke {

// Descriptors of the API and health sockets a holder passed; -1 where none was. Named by
// FileDescriptorName= ("api", "health"); unnamed ones fill the slots in that order.
struct ActivatedSockets {
    int api = -1;
    int health = -1;
};

// Takes the passed sockets (unsets LISTEN_*, so children do not see them), makes them
// non-blocking, and refuses what is not a listening stream socket or has an unknown name.
Result<ActivatedSockets> take_activated_sockets();

}  // namespace spoke
