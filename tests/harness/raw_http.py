"""raw_request: one HTTP/1.1 exchange over a plain socket, for bodies a server may refuse before it has
read them (413): the body is sent in chunks and sending stops as soon as a response arrives."""

import json
import select
import socket
import time


class _BodyText:
    """`text` and `json()` of a response whose bytes are in `content`."""

    @property
    def text(self):
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


class RawResponse(_BodyText):
    def __init__(self, status, headers, body):
        self.status_code = status
        self.headers = headers  # lower-case names
        self.content = body


def _parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return status, headers, body


def _complete(data):
    if b"\r\n\r\n" not in data:
        return False
    _, headers, _ = _parse(data)
    head_len = data.index(b"\r\n\r\n") + 4
    if "content-length" in headers:
        return len(data) - head_len >= int(headers["content-length"])
    return False


def raw_request(host, port, method, path, body=b"", headers=None, timeout_s=15.0, chunk=65536):
    deadline = time.monotonic() + timeout_s
    hdrs = {"Host": f"{host}:{port}", "Connection": "close", "Content-Length": str(len(body))}
    hdrs.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    s = socket.create_connection((host, port), timeout=timeout_s)
    received = b""
    try:
        s.sendall(head.encode("latin-1"))
        sent = 0
        while sent < len(body):
            r, _, _ = select.select([s], [], [], 0)
            if r:
                break  # the server answered before reading everything
            try:
                sent += s.send(body[sent: sent + chunk])
            except (BrokenPipeError, ConnectionResetError):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("sending the body took too long")
        while time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            received += data
            if _complete(received):
                break
    finally:
        s.close()
    if not received:
        raise ConnectionError(f"no response to {method} {path}")
    return RawResponse(*_parse(received))


# ---- RawConnection: byte-exact HTTP/1.x exchanges for the protocol tests (tests/integration/test_http_*) ----
#
# Requests are written as raw bytes (nothing is normalised), responses are parsed strictly (status
# line, headers, a Content-Length or chunked body; none for HEAD, 1xx, 204 and 304), and a closed
# connection (EOF or reset) is reported as such. Every read has a deadline.

DEFAULT_TIMEOUT_S = 3.0


class ResponseTimeout(AssertionError):
    """No complete response before the deadline (the partial bytes are in .partial)."""

    def __init__(self, message, partial=b""):
        super().__init__(f"{message}; received so far: {partial[:300]!r}")
        self.partial = partial


class ConnectionClosed(AssertionError):
    """The server closed (EOF or reset) before a complete response (the partial bytes in .partial)."""

    def __init__(self, message, partial=b""):
        super().__init__(f"{message}; received before the close: {partial[:300]!r}")
        self.partial = partial


class HttpResponse(_BodyText):
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version      # "HTTP/1.1"
        self.status = status        # int
        self.reason = reason
        self.headers = headers      # [(name, value)] in wire order, names as sent
        self.body = body
        self.raw_head = raw_head    # the status line and headers, bytes, without the final CRLFCRLF
        self.received_at = time.monotonic()

    def header(self, name):
        """The first value of header `name` (case-insensitive), or None."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def connection_tokens(self):
        """The Connection header's tokens, lower-case."""
        tokens = set()
        for v in self.header_all("connection"):
            tokens.update(t.strip().lower() for t in v.split(",") if t.strip())
        return tokens

    @property
    def content(self):
        return self.body

    def __repr__(self):
        return f"<{self.version} {self.status} {self.reason!r} headers={self.headers} body={self.body[:200]!r}>"


def _header_list(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def build_request(method, target, headers=None, body=b"", version="HTTP/1.1", host=None,
                  content_length=None):
    """The bytes of one request. `headers`: a dict or a list of (name, value) pairs, sent as given
    (after Host when `host` is set). `content_length`: True adds Content-Length: len(body)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    hdrs = _header_list(headers)
    if content_length is True or (content_length is None and body):
        hdrs.append(("Content-Length", str(len(body))))
    lines += [f"{k}: {v}" for k, v in hdrs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawConnection:
    """One client TCP connection. Use as a context manager (the socket is always closed)."""

    def __init__(self, host, port, timeout_s=DEFAULT_TIMEOUT_S, rcvbuf=None):
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Before connect, so the advertised window is small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout_s)
        self.sock.connect((host, port))
        self.buf = b""
        self.eof = False         # the server closed (EOF or reset)
        self.reset = False       # ... by a reset
        self.send_failed = False  # a send hit EPIPE/ECONNRESET

    @property
    def authority(self):
        return f"{self.host}:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- sending ---------------------------------------------------------------------------
    def send(self, data):
        """Sends all of `data` (bytes, or str as latin-1); False when the server had closed."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        try:
            self.sock.settimeout(self.timeout_s)
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.send_failed = True
            return False

    def request(self, method, target, headers=None, body=b"", version="HTTP/1.1", host=True,
                content_length=None):
        """Sends one request (Host: this connection's authority unless host is False or a string)."""
        h = self.authority if host is True else (host or None)
        return self.send(build_request(method, target, headers, body, version, h, content_length))

    # ---- receiving -------------------------------------------------------------------------
    def _fill(self, deadline):
        """Reads once (waiting until the deadline); False at the deadline, on EOF or on reset."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], remaining)
        if not r:
            return False
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        except socket.timeout:
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def readable_within(self, timeout_s):
        """True when a byte (or EOF) arrives within timeout_s; nothing is consumed."""
        if self.buf or self.eof:
            return True
        r, _, _ = select.select([self.sock], [], [], timeout_s)
        return bool(r)

    def _parse_one(self, head_request):
        """(response, consumed) from self.buf, or None when more bytes are needed (ValueError when
        the bytes are not an HTTP/1.x response)."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if not b"HTTP/".startswith(self.buf[:5]):
                raise ValueError(f"not an HTTP response: {self.buf[:200]!r}")
            return None
        raw_head = self.buf[:end]
        lines = raw_head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit() or len(parts[1]) != 3:
            raise ValueError(f"bad status line {lines[0]!r} (head {raw_head[:300]!r})")
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            if ":" not in line:
                raise ValueError(f"bad header line {line!r} in {raw_head[:300]!r}")
            k, v = line.split(":", 1)
            headers.append((k, v.strip(" \t")))
        resp = HttpResponse(version, status, reason, headers, b"", raw_head)
        pos = end + 4
        if head_request or 100 <= status < 200 or status in (204, 304):
            return resp, pos
        te = resp.header("transfer-encoding")
        if te is not None and te.strip().lower().endswith("chunked"):
            body = b""
            while True:
                eol = self.buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                size_text = self.buf[pos:eol].split(b";", 1)[0].strip()
                size = int(size_text, 16)
                pos = eol + 2
                if size == 0:
                    trailer_end = self.buf.find(b"\r\n\r\n", pos - 2)
                    if trailer_end < 0:
                        return None
                    resp.body = body
                    return resp, trailer_end + 4
                if len(self.buf) < pos + size + 2:
                    return None
                body += self.buf[pos: pos + size]
                pos += size + 2
        cl = resp.header("content-length")
        if cl is not None:
            n = int(cl)
            if len(self.buf) - pos < n:
                return None
            resp.body = self.buf[pos: pos + n]
            return resp, pos + n
        # Neither: the body runs to the close.
        if not self.eof:
            return None
        resp.body = self.buf[pos:]
        return resp, len(self.buf)

    def read_response(self, timeout_s=None, head_request=False):
        """The next complete response. ResponseTimeout at the deadline, ConnectionClosed when the
        server closes first, AssertionError for bytes that are not an HTTP/1.x response."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            try:
                parsed = self._parse_one(head_request)
            except ValueError as e:
                raise AssertionError(str(e))
            if parsed is not None:
                resp, used = parsed
                self.buf = self.buf[used:]
                return resp
            if not self._fill(deadline):
                if self.eof:
                    try:
                        parsed = self._parse_one(head_request)
                    except ValueError as e:
                        raise AssertionError(str(e))
                    if parsed is not None:
                        resp, used = parsed
                        self.buf = self.buf[used:]
                        return resp
                    how = "reset" if self.reset else "closed"
                    raise ConnectionClosed(f"connection {how} before a complete response", self.buf)
                raise ResponseTimeout("no complete response within "
                                      f"{self.timeout_s if timeout_s is None else timeout_s}s", self.buf)

    def read_responses(self, n, timeout_s=None):
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        return [self.read_response(max(0.01, deadline - time.monotonic())) for _ in range(n)]

    def wait_closed(self, timeout_s=None):
        """Reads until the server closes; returns the bytes that arrived before the close (b"" when
        nothing did). AssertionError when the connection is still open at the deadline."""
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        while not self.eof:
            if not self._fill(deadline) and not self.eof:
                raise AssertionError(f"connection still open after {timeout_s}s "
                                     f"(received meanwhile: {self.buf[:300]!r})")
        extra, self.buf = self.buf, b""
        return extra

    def drain(self, timeout_s):
        """Reads and discards until the close or the deadline; returns (bytes read, closed)."""
        deadline = time.monotonic() + timeout_s
        total = len(self.buf)
        self.buf = b""
        while not self.eof and time.monotonic() < deadline:
            if self._fill(deadline):
                total += len(self.buf)
                self.buf = b""
        return total, self.eof


def assert_http_error(resp, status, code=None):
    """resp (an HttpResponse) is `status` with the JSON error body {"error": <sentence>, "code": ...};
    returns the body."""
    assert resp.status == status, f"expected {status} {code or ''}, got {resp!r}"
    ctype = resp.header("content-type") or ""
    assert ctype.startswith("application/json"), f"Content-Type {ctype!r} on {resp!r}"
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {resp!r}")
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert isinstance(body.get("code"), str), body
    if code is not None:
        assert body["code"] == code, f"expected code {code}, got {body}"
    return body
