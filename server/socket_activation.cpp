#include "server/socket_activation.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace spoke {

namespace {

// Frees sd_listen_fds_with_names' array however we leave.
struct NameList {
    char** names = nullptr;
    NameList() = default;
    NameList(const NameList&) = delete;
    NameList& operator=(const NameList&) = delete;
    ~NameList() {
        if (names == nullptr) return;
        for (char** n = names; *n != nullptr; ++n) free(*n);  // NOLINT: C allocation
        free(names);                                          // NOLINT: C allocation
    }
};

void close_all(int first, int count) {
    for (int i = 0; i < count; ++i) ::close(first + i);
}

}  // namespace

Result<ActivatedSockets> take_activated_sockets() {
    NameList list;
    const int n = sd_listen_fds_with_names(1, &list.names);
    if (n < 0) return Error::internal("LISTEN_FDS: " + std::string(strerror(-n)));
    ActivatedSockets s;
    if (n == 0) return s;
    auto refuse = [n](std::string why) -> Error {
        close_all(SD_LISTEN_FDS_START, n);
        return Error::internal("LISTEN_FDS: " + why);
    };
    if (n > 2) return refuse(std::to_string(n) + " sockets passed; expected api and health");
    for (int i = 0; i < n; ++i) {
        const int fd = SD_LISTEN_FDS_START + i;
        const std::string name = list.names != nullptr ? list.names[i] : "unknown";
        if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            return refuse("socket " + std::to_string(fd) + " (" + name +
                          ") is not a listening stream socket");
        }
        // Several loops accept on the one socket: a blocking accept would hang the loop that
        // lost the race for a connection.
        const int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
            return refuse("cannot make socket " + std::to_string(fd) + " non-blocking");
        }
        int* slot = name == "api" ? &s.api : name == "health" ? &s.health : nullptr;
        if (slot == nullptr && name == "unknown") slot = s.api < 0 ? &s.api : &s.health;
        if (slot == nullptr || *slot >= 0) {
            return refuse("socket " + std::to_string(fd) + " is named \"" + name +
                          "\"; expected api or health, once each (FileDescriptorName=)");
        }
        *slot = fd;
    }
    return s;
}

}  // namespace spoke
