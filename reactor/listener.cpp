#include "reactor/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spoke {

Result<int> listen_tcp(const std::string& host, uint16_t port, bool reuse_port, int backlog) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port_text = std::to_string(port);
    if (int rc =
            getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
        rc != 0) {
        return Error::bad_request("cannot listen on " + host + ":" + port_text + ": " +
                                  gai_strerror(rc));
    }
    std::string last_error = "no address";
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        // Must be set before bind, or the second socket gets EADDRINUSE.
        if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, backlog) == 0) {
            freeaddrinfo(res);
            return fd;
        }
        last_error = std::strerror(errno);
        ::close(fd);
    }
    freeaddrinfo(res);
    return Error::bad_request("cannot listen on " + host + ":" + port_text + ": " + last_error);
}

}  // namespace spoke
