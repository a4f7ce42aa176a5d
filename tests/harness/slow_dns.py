"""A DNS server on loopback that answers slowly, for proving that resolving a host name never
blocks an event loop: A queries get 127.0.0.1 after `delay_s`, other types an empty answer after
the same delay. Stdlib only; UDP; one thread; stops with close()."""

import socket
import struct
import threading
import time


class SlowDns:
    def __init__(self, delay_s):
        self.delay_s = delay_s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.queries = []  # (name, qtype) in arrival order
        self._pending = []  # (due, reply, address)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def resolv_conf(self, path):
        """Writes a resolv.conf naming only this server; returns its path."""
        with open(path, "w", encoding="ascii") as f:
            f.write(f"nameserver 127.0.0.1:{self.port}\noptions timeout:5 attempts:1\n")
        return str(path)

    def _reply(self, query):
        ident, _flags, qdcount = struct.unpack("!HHH", query[:6])
        pos, labels = 12, []
        while query[pos] != 0:
            n = query[pos]
            labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace"))
            pos += 1 + n
        qtype, _qclass = struct.unpack("!HH", query[pos + 1:pos + 5])
        question = query[12:pos + 5]
        self.queries.append((".".join(labels), qtype))
        answers = b""
        count = 0
        if qtype == 1:  # A
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
            count = 1
        header = struct.pack("!HHHHHH", ident, 0x8180, qdcount, count, 0, 0)
        return header + question + answers

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, address = self.sock.recvfrom(512)
                self._pending.append((time.monotonic() + self.delay_s, self._reply(data), address))
            except socket.timeout:
                pass
            except (OSError, IndexError, struct.error):
                continue
            now = time.monotonic()
            for item in [p for p in self._pending if p[0] <= now]:
                self._pending.remove(item)
                self.sock.sendto(item[1], item[2])

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
