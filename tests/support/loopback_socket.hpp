#pragma once
// LoopbackSocket: a TCP socket bound to 127.0.0.1 on a kernel-chosen port and held for the test's
// life. Listening, it accepts through the kernel backlog and never answers (a server that hangs);
// not listening, connects to it are refused. Holding the port also keeps any client from being
// handed it as a source port (a connect to a free ephemeral port can connect to itself).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace spoke::testing {

class LoopbackSocket {
  public:
    explicit LoopbackSocket(bool listening) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            (listening && ::listen(fd_, 16) != 0)) {
            ADD_FAILURE() << "cannot open a loopback socket";
        }
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~LoopbackSocket() { ::close(fd_); }
    LoopbackSocket(const LoopbackSocket&) = delete;
    LoopbackSocket& operator=(const LoopbackSocket&) = delete;
    int port() const { return port_; }

  private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace spoke::testing
