"""raw_request: one HTTP/1.1 exchange over a plain socket, for bodies a server may refuse before it has
read them (413): the body is sent in chunks and sending stops as soon as a response arrives."""

import json
import select
import socket
import time


class RawResponse:
    def __init__(self, status, headers, body):
        self.status_code = status
        self.headers = headers  # lower-case names
        self.content = body

    @property
    def text(self):
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


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
