"""Size limits of the HTTP layer: head size (SPOKE_MAX_HEADER_SIZE), header count (SPOKE_MAX_HEADERS),
request-target length (SPOKE_MAX_URL_LENGTH) and body size (SPOKE_MAX_BODY, decided from the head or
as soon as a chunked body crosses it), and the per-process connection cap (SPOKE_MAX_CONNECTIONS)."""

import socket
import time

import pytest
import requests

from harness.raw_http import RawConnection, assert_http_error
from harness.spoke_api import SpokeClient, metric, scrape_metrics
from harness.spoke_process import HOST, SpokeProcess


def total(samples, name):
    """The sum of a metric over all its label sets (e.g. the reasons of a rejection counter)."""
    return sum(v for (n, _), v in samples.items() if n == name)


KiB = 1024
MAX_HEADER_SIZE = 4 * KiB
MAX_HEADERS = 20
MAX_URL = 1 * KiB
MAX_BODY = 64 * KiB
ENV = {
    "SPOKE_MAX_HEADER_SIZE": "4KiB",
    "SPOKE_MAX_HEADERS": str(MAX_HEADERS),
    "SPOKE_MAX_URL_LENGTH": "1KiB",
    "SPOKE_MAX_BODY": "64KiB",
    "SPOKE_MAX_FILE_SIZE": "64KiB",
}


@pytest.fixture(scope="module")
def server(spoke_bin, tmp_path_factory):
    p = SpokeProcess(spoke_bin, tmp_path_factory.mktemp("http_limits"), env=ENV, name="limits")
    p.start()
    yield p
    problems = p.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def conn(server, **kw):
    return RawConnection(HOST, server.port, **kw)


def assert_refused_and_closed(c, status, code):
    r = c.read_response()
    assert_http_error(r, status, code)
    assert "close" in r.connection_tokens, f"no Connection: close on {r!r}"
    c.wait_closed(3)
    return r


# ---- head ---------------------------------------------------------------------------------------

def test_head_just_within_the_limits_is_served(server):
    # 20 header fields (Host + 19), a request target of 1000 bytes, a head of about 3.5 KiB.
    target = "/modules?prefix=" + "p" * (1000 - len("/modules?prefix="))
    headers = [(f"X-Pad-{i}", "v" * 120) for i in range(19)]
    with conn(server) as c:
        c.request("GET", target, headers)
        r = c.read_response()
        assert r.status == 200, r
        c.request("GET", "/modules")  # still usable
        assert c.read_response().status == 200


def test_one_header_over_max_header_size_is_431(server):
    with conn(server) as c:
        c.request("GET", "/modules", [("X-Big", "b" * (MAX_HEADER_SIZE + 100))])
        assert_refused_and_closed(c, 431, "HEADERS_TOO_LARGE")


def test_many_small_headers_over_max_header_size_is_431(server):
    headers = [(f"X-Pad-{i}", "v" * 400) for i in range(12)]  # 13 fields, about 4.9 KiB
    with conn(server) as c:
        c.request("GET", "/modules", headers)
        assert_refused_and_closed(c, 431, "HEADERS_TOO_LARGE")


def test_header_count_over_max_headers_is_431(server):
    headers = [(f"X-H{i}", "v") for i in range(MAX_HEADERS)]  # with Host: MAX_HEADERS + 1 fields
    with conn(server) as c:
        c.request("GET", "/modules", headers)
        assert_refused_and_closed(c, 431, "HEADERS_TOO_LARGE")


def test_request_target_over_max_url_length_is_414(server):
    for target in ("/modules?prefix=" + "p" * MAX_URL, "/modules/" + "m" * (MAX_URL + 50)):
        with conn(server) as c:
            c.request("GET", target)
            assert_http_error(c.read_response(), 414, "URI_TOO_LONG")


# ---- body ---------------------------------------------------------------------------------------

def test_body_of_exactly_max_body_is_accepted(server):
    prefix, suffix = b'{"content": "syntax = \\"proto3\\"; package lim; // ', b'"}'
    body = prefix + b"c" * (MAX_BODY - len(prefix) - len(suffix)) + suffix
    assert len(body) == MAX_BODY
    with conn(server) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json")], body)
        r = c.read_response(timeout_s=10)
        assert r.status == 200, r


def test_content_length_over_max_body_is_413_before_any_body_byte(server):
    with conn(server) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"),
                                        ("Content-Length", str(MAX_BODY + 1))])
        t0 = time.monotonic()
        r = c.read_response(timeout_s=2)
        assert_http_error(r, 413, "PAYLOAD_TOO_LARGE")
        assert "close" in r.connection_tokens, r
        assert time.monotonic() - t0 < 2
        c.wait_closed(3)


def test_huge_content_length_with_a_short_body_is_413_at_once(server):
    with conn(server) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"),
                                        ("Content-Length", "100000000")], b"{}", content_length=False)
        r = c.read_response(timeout_s=2)
        assert_http_error(r, 413, "PAYLOAD_TOO_LARGE")
        assert "close" in r.connection_tokens, r
        c.wait_closed(3)


def test_chunked_body_crossing_max_body_is_413_before_the_last_chunk(server):
    piece = 8 * KiB
    chunk = b"%x\r\n" % piece + b"a" * piece + b"\r\n"
    sent = 0
    with conn(server) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"),
                                        ("Transfer-Encoding", "chunked")])
        deadline = time.monotonic() + 5
        while sent < 8 * MAX_BODY and time.monotonic() < deadline:
            if c.readable_within(0):
                break  # the server answered
            if not c.send(chunk):
                break  # the server closed
            sent += piece
            time.sleep(0.003)
        assert sent > MAX_BODY, f"answered after only {sent} body bytes"
        # The terminating chunk is never sent: the 413 must come anyway.
        r = c.read_response(timeout_s=2)
        assert_http_error(r, 413, "PAYLOAD_TOO_LARGE")
        assert "close" in r.connection_tokens, r
        assert sent < 8 * MAX_BODY, "the server read 8x SPOKE_MAX_BODY of chunked body before answering"
        c.wait_closed(3)


# ---- connections --------------------------------------------------------------------------------

def closed_at_once(port, timeout_s=1.5):
    """Connects, sends a request, and reports whether the server closed the connection (EOF or
    reset, with no response or a 503 JSON one) within timeout_s."""
    s = socket.create_connection((HOST, port), timeout=timeout_s)
    try:
        try:
            s.sendall(b"GET /modules HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return True, b""
        data = b""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                b = s.recv(65536)
            except ConnectionResetError:
                return True, data
            except socket.timeout:
                return False, data
            if not b:
                return True, data
            data += b
        return False, data
    finally:
        s.close()


def test_max_connections_refuses_the_extra_connection_and_recovers(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_MAX_CONNECTIONS": "8"})
    health = SpokeClient(p.health_url)
    held = []
    try:
        for i in range(8):
            c = conn(p)
            held.append(c)
            c.request("GET", "/modules", {"X-Request-Id": f"held-{i}"})
            assert c.read_response().status == 200
        before = total(scrape_metrics(health), "spoke_http_connections_rejected_total")

        closed, data = closed_at_once(p.port)
        assert closed, f"a 9th connection was not closed within 1.5 s (received {data[:200]!r})"
        if data:
            assert data.startswith(b"HTTP/1.1 503 "), f"the 9th connection got {data[:300]!r}"

        r = requests.get(p.health_url + "/health/live", timeout=2)
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 2
        while True:
            samples = scrape_metrics(health)
            if (metric(samples, "spoke_http_connections") == 8
                    and total(samples, "spoke_http_connections_rejected_total") > before) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert metric(samples, "spoke_http_connections") == 8, samples
        assert total(samples, "spoke_http_connections_rejected_total") >= before + 1, samples

        # The held connections are still served.
        held[0].request("GET", "/modules")
        assert held[0].read_response().status == 200

        for c in held[:2]:
            c.close()
        held = held[2:]
        deadline = time.monotonic() + 3
        status = None
        while time.monotonic() < deadline:
            try:
                status = requests.get(p.url + "/modules", timeout=1, headers={"Connection": "close"}).status_code
                if status == 200:
                    break
            except requests.RequestException as e:
                status = repr(e)
            time.sleep(0.05)
        assert status == 200, f"no new connection served after two were closed (last: {status})"
    finally:
        for c in held:
            c.close()
        health.close()
