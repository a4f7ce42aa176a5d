"""NotifySocket: stands in for systemd's NOTIFY_SOCKET. Binds an AF_UNIX datagram socket, records every
sd_notify message with its arrival time (monotonic) and the sender's PID (SO_PASSCRED)."""

import os
import socket
import struct
import threading
import time


class NotifyMessage:
    def __init__(self, at, pid, fields):
        self.at = at          # time.monotonic() at arrival
        self.pid = pid        # sender PID from SCM_CREDENTIALS (None if absent)
        self.fields = fields  # {"READY": "1", "STATUS": "...", ...}

    def has(self, key, value=None):
        return key in self.fields and (value is None or self.fields[key] == value)

    def __repr__(self):
        return f"<notify t={self.at:.3f} pid={self.pid} {self.fields}>"


def parse_fields(data):
    fields = {}
    for line in data.decode("utf-8", errors="replace").split("\n"):
        if "=" in line:
            k, v = line.split("=", 1)
            fields[k] = v
    return fields


class NotifySocket:
    def __init__(self, directory):
        # sun_path is limited to 107 bytes: keep the name short.
        self.path = os.path.join(str(directory), "notify.sock")
        if len(self.path) > 100:
            import tempfile
            self._tmpdir = tempfile.mkdtemp(prefix="sdn.")
            self.path = os.path.join(self._tmpdir, "n.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.05)
        self.messages = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify-socket", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, anc, _flags, _addr = self.sock.recvmsg(65536, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(cdata) >= 12:
                    pid, _uid, _gid = struct.unpack("iII", cdata[:12])
            msg = NotifyMessage(time.monotonic(), pid, parse_fields(data))
            with self._cond:
                self.messages.append(msg)
                self._cond.notify_all()

    def snapshot(self):
        with self._cond:
            return list(self.messages)

    def wait_for(self, predicate, timeout_s, start_index=0):
        """The first message from start_index on that satisfies predicate; None at the deadline."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for m in self.messages[start_index:]:
                    if predicate(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def index_of(self, message):
        with self._cond:
            return self.messages.index(message)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
