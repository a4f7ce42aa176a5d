"""Holds the API and health listening sockets across restarts of spoke-server and passes them to
each new process the way systemd's socket units do (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES).
While no process runs, connections wait in the sockets' backlog instead of being refused."""

import fcntl
import os
import socket

from harness.spoke_process import HOST

SD_LISTEN_FDS_START = 3


def _listening_socket(backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, 0))
    s.listen(backlog)
    return s


class SocketHolder:
    """names: what each passed socket is called, in LISTEN_FDS order (systemd's
    FileDescriptorName=); None passes them unnamed, as systemd does without it."""

    def __init__(self, names=("api", "health"), backlog=4096):
        self.names = names
        self.api = _listening_socket(backlog)
        self.health = _listening_socket(backlog)
        by_name = {"api": self.api, "health": self.health}
        order = list(names) if names else ["api", "health"]
        # A name the server does not know keeps its position's socket (for tests of refusal).
        socks = [by_name.get(n, (self.api, self.health)[i]) for i, n in enumerate(order)]
        # Far above 3 and 4, so placing them there in the child never overwrites one another.
        self._high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 100) for s in socks]

    @property
    def api_port(self):
        return self.api.getsockname()[1]

    @property
    def health_port(self):
        return self.health.getsockname()[1]

    def command(self, binary):
        """argv that sets LISTEN_PID to the server's own pid (the shell execs it in place)."""
        return ["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0"', binary]

    def environment(self):
        env = {"LISTEN_FDS": str(len(self._high))}
        if self.names:
            env["LISTEN_FDNAMES"] = ":".join(self.names)
        return env

    def place_fds(self):
        """preexec_fn: the sockets at 3, 4, ... in the child (inheritable)."""
        for i, fd in enumerate(self._high):
            os.dup2(fd, SD_LISTEN_FDS_START + i)

    def pass_fds(self):
        return tuple(SD_LISTEN_FDS_START + i for i in range(len(self._high)))

    def close(self):
        for fd in self._high:
            os.close(fd)
        self._high = []
        self.api.close()
        self.health.close()
