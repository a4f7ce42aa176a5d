"""Deadlines of the HTTP layer: the whole head within SPOKE_HEADER_TIMEOUT however slowly it trickles,
the body within SPOKE_READ_TIMEOUT + received / SPOKE_MIN_BODY_RATE, idle keep-alive connections closed
after SPOKE_IDLE_TIMEOUT, a client that stops reading cut off after SPOKE_WRITE_TIMEOUT without
progress, and a slowloris flood that neither starves other clients nor floods the log."""

import json
import socket
import time

import pytest
import requests

from harness.raw_http import RawConnection, assert_http_error
from harness.spoke_api import SpokeClient, metric, scrape_metrics, unique
from harness.spoke_process import HOST, SpokeProcess


def total(samples, name):
    """The sum of a metric over all its label sets (e.g. the reasons of a rejection counter)."""
    return sum(v for (n, _), v in samples.items() if n == name)


ENV = {
    "SPOKE_HEADER_TIMEOUT": "1s",
    "SPOKE_READ_TIMEOUT": "1s",
    "SPOKE_MIN_BODY_RATE": "1KiB",
    "SPOKE_IDLE_TIMEOUT": "1s",
    "SPOKE_WRITE_TIMEOUT": "1s",
    "SPOKE_REQUEST_TIMEOUT": "15s",
    "SPOKE_MAX_BODY": "16MiB",
    "SPOKE_MAX_FILE_SIZE": "8MiB",
}
# Every deadline above is 1 s: it must fire after about 1 s, and at the latest after 3 s.
EARLIEST, LATEST = 0.8, 3.0
BODY = b'{"content": "syntax = \\"proto3\\"; package dl; message A {}"}'


@pytest.fixture(scope="module")
def server(spoke_bin, tmp_path_factory):
    p = SpokeProcess(spoke_bin, tmp_path_factory.mktemp("http_deadlines"), env=ENV, name="deadlines")
    p.start()
    yield p
    problems = p.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def timeouts(server, kind):
    r = requests.get(server.health_url + "/metrics", timeout=2, headers={"Connection": "close"})
    assert r.status_code == 200
    for line in r.text.splitlines():
        if line.startswith("spoke_http_timeouts_total{") and f'kind="{kind}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_metric_increase(server, kind, before, timeout_s=3.0):
    deadline = time.monotonic() + timeout_s
    while True:
        now = timeouts(server, kind)
        if now > before or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def api_get_status(server, path="/modules", timeout_s=2.0):
    try:
        return requests.get(server.url + path, timeout=timeout_s, headers={"Connection": "close"}).status_code
    except requests.RequestException as e:
        return repr(e)


# ---- header -------------------------------------------------------------------------------------

def test_head_trickled_byte_by_byte_gets_408_after_the_header_timeout(server):
    before = timeouts(server, "header")
    with RawConnection(HOST, server.port) as c:
        t0 = time.monotonic()
        c.send(b"GET /modules HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        while time.monotonic() - t0 < LATEST + 1.5:
            if c.readable_within(0.3):
                break
            if not c.send(b"a"):  # one byte every 300 ms, forever
                break
        r = c.read_response(timeout_s=1)
        elapsed = r.received_at - t0
        assert_http_error(r, 408, "REQUEST_TIMEOUT")
        assert "close" in r.connection_tokens, r
        assert EARLIEST <= elapsed <= LATEST, f"408 after {elapsed:.2f}s with SPOKE_HEADER_TIMEOUT=1s"
        c.wait_closed(2)
    assert wait_metric_increase(server, "header", before) >= before + 1


def test_head_sent_in_pieces_within_the_timeout_is_served(server):
    with RawConnection(HOST, server.port) as c:
        c.send(b"GET /modules HTTP/1.1\r\n")
        time.sleep(0.3)
        c.send(b"Host: 127.0.0.1\r\n")
        time.sleep(0.3)
        c.send(b"\r\n")
        assert c.read_response().status == 200


# ---- body ---------------------------------------------------------------------------------------

def test_body_trickled_below_the_minimum_rate_gets_408(server):
    before = timeouts(server, "body")
    with RawConnection(HOST, server.port) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"), ("Content-Length", "2000")])
        t0 = time.monotonic()
        while time.monotonic() - t0 < LATEST + 1.5:
            if c.readable_within(0.2):
                break
            if not c.send(b" " * 10):  # 10 bytes every 200 ms: 50 B/s against a minimum of 1 KiB/s
                break
        r = c.read_response(timeout_s=1)
        elapsed = r.received_at - t0
        assert_http_error(r, 408, "REQUEST_TIMEOUT")
        assert "close" in r.connection_tokens, r
        assert EARLIEST <= elapsed <= LATEST, f"408 after {elapsed:.2f}s (read timeout 1s, rate 1KiB/s)"
        c.wait_closed(2)
    assert wait_metric_increase(server, "body", before) >= before + 1


def test_body_sent_normally_is_served(server):
    padded = b'{"content": "syntax = \\"proto3\\"; package dl; // ' + b"p" * 3000 + b'"}'
    with RawConnection(HOST, server.port) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"),
                                        ("Content-Length", str(len(padded)))])
        third = len(padded) // 3
        for i in range(3):  # in three parts, 300 ms apart: well above 1 KiB/s overall
            c.send(padded[i * third: len(padded) if i == 2 else (i + 1) * third])
            time.sleep(0.3)
        r = c.read_response()
        assert r.status == 200, r
        c.request("POST", "/validate", [("Content-Type", "application/json")], BODY)
        r = c.read_response()
        assert r.status == 200, r


# ---- idle ---------------------------------------------------------------------------------------

def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(server):
    before = timeouts(server, "idle")
    with RawConnection(HOST, server.port) as c:
        c.request("GET", "/modules")
        assert c.read_response().status == 200
        time.sleep(0.5)  # within the idle timeout: still usable
        c.request("GET", "/modules")
        r = c.read_response()
        assert r.status == 200, r
        extra = c.wait_closed(LATEST + 1)
        elapsed = time.monotonic() - r.received_at
        assert extra == b"", extra[:200]
        assert EARLIEST <= elapsed <= LATEST, f"idle connection closed after {elapsed:.2f}s (SPOKE_IDLE_TIMEOUT=1s)"
    assert wait_metric_increase(server, "idle", before) >= before + 1


# ---- write --------------------------------------------------------------------------------------

def test_client_that_stops_reading_is_cut_off_after_the_write_timeout(server):
    api = server.client()
    try:
        m = unique("wt")
        assert api.create_module(m).status_code == 201
        line = "// " + "x" * 1021 + "\n"
        content = 'syntax = "proto3";\npackage wt;\n' + line * 6144  # about 6 MiB
        r = api.push(m, "1.0.0", {"big.proto": content})
        assert r.status_code == 201, r.text[:300]
    finally:
        api.close()
    size = len(content.encode())
    before = timeouts(server, "write")
    with RawConnection(HOST, server.port, rcvbuf=4096) as c:
        c.request("GET", f"/modules/{m}/versions/1.0.0/files/big.proto", {"Accept": "application/octet-stream"})
        t0 = time.monotonic()
        # Not reading. Other clients are served meanwhile.
        for _ in range(3):
            assert api_get_status(server) == 200
            time.sleep(0.2)
        after = wait_metric_increase(server, "write", before, timeout_s=LATEST + 2)
        assert after >= before + 1, f"spoke_http_timeouts_total{{kind=\"write\"}} stayed at {after}"
        assert time.monotonic() - t0 <= LATEST + 2.5
        received, closed = c.drain(10)
        assert closed, "the connection of the client that stopped reading is still open"
        assert received < size, f"the whole {size}-byte reply arrived: the connection was not cut off"
    assert api_get_status(server) == 200


# ---- slowloris ----------------------------------------------------------------------------------

def test_slowloris_flood_does_not_starve_clients_or_flood_the_log(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_HEADER_TIMEOUT": "1s", "SPOKE_MAX_CONNECTIONS": "50"})
    log_lines_before = len(p.stdout().splitlines())
    socks = []
    try:
        t0 = time.monotonic()
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            socks.append(s)
            try:
                s.connect((HOST, p.port))
                s.sendall(b"GET / HTTP/1.1\r\nHo")
            except OSError:
                pass  # refused at once: that is allowed
        served_at = None
        last = None
        while time.monotonic() - t0 < 3.0:
            live = requests.get(p.health_url + "/health/live", timeout=1, headers={"Connection": "close"})
            assert live.status_code == 200, f"/health/live answered {live.status_code} during the flood"
            last = api_get_status(p, timeout_s=1)
            if last == 200:
                served_at = time.monotonic() - t0
                break
            time.sleep(0.05)
        assert served_at is not None, f"no fresh client served within 3 s of the flood (last: {last})"

        # Every stalled connection is closed by the server (refused, or 408 after the header timeout).
        deadline = t0 + 4.0
        open_ones = []
        for s in socks:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                while s.recv(65536):
                    pass
            except ConnectionResetError:
                pass
            except socket.timeout:
                open_ones.append(s)
            except OSError:
                pass
        assert not open_ones, f"{len(open_ones)} of 100 stalled connections still open 4 s after the flood"
        assert requests.get(p.health_url + "/health/live", timeout=1).status_code == 200

        time.sleep(1.0)  # let throttled log summaries come out
        new_lines = p.stdout().splitlines()[log_lines_before:]
        noise = []
        for line in new_lines:
            try:
                rec = json.loads(line)
            except ValueError:
                noise.append(line)
                continue
            if rec.get("msg") != "access":
                noise.append(line)
        assert len(noise) <= 10, f"{len(noise)} log lines about the flood:\n" + "\n".join(noise[:30])
        samples = scrape_metrics_once(p)
        assert total(samples, "spoke_http_connections_rejected_total") >= 40, samples
        assert metric(samples, "spoke_http_timeouts_total", kind="header") >= 40, samples
    finally:
        for s in socks:
            s.close()


def scrape_metrics_once(p):
    health = SpokeClient(p.health_url)
    try:
        return scrape_metrics(health)
    finally:
        health.close()
