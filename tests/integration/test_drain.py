"""SIGTERM drain: readiness flips to draining, listeners close, in-flight requests finish, exit 0."""

import signal
import socket
import threading
import time

import requests

from harness.spoke_process import HOST

SLOW_MS = 1500
IN_FLIGHT = 10


def connection_refused(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect((HOST, port))
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_sigterm_drains_in_flight_requests(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_SHUTDOWN_TIMEOUT": "10s"})
    results = [None] * IN_FLIGHT

    def slow(k):
        t0 = time.monotonic()
        try:
            r = requests.get(f"{p.url}/_test/slow?ms={SLOW_MS}", timeout=15, headers={"Connection": "close"})
            results[k] = (r.status_code, time.monotonic() - t0, time.monotonic())
        except requests.RequestException as e:
            results[k] = (repr(e), time.monotonic() - t0, time.monotonic())

    threads = [threading.Thread(target=slow, args=(k,)) for k in range(IN_FLIGHT)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.4)
    assert all(r is None for r in results), f"slow requests finished too early: {results}"
    p.signal(signal.SIGTERM)
    term_at = time.monotonic()

    draining_at = None
    deadline = term_at + 1.0
    while time.monotonic() < deadline:
        try:
            r = requests.get(p.health_url + "/health/ready", timeout=0.5, headers={"Connection": "close"})
            if r.status_code == 503:
                assert r.json()["status"] == "draining", r.text
                draining_at = time.monotonic()
                break
        except requests.RequestException:
            pass
        time.sleep(0.02)
    assert draining_at is not None, "readiness did not turn 503 draining within 1 s of SIGTERM"

    refused_at = None
    deadline = term_at + 1.0
    while time.monotonic() < deadline:
        if connection_refused(p.port):
            refused_at = time.monotonic()
            break
        time.sleep(0.02)
    assert refused_at is not None, "the API port still accepts connections 1 s after SIGTERM"

    for t in threads:
        t.join(timeout=15)
    assert [r[0] for r in results] == [200] * IN_FLIGHT, results
    assert all(r[1] >= SLOW_MS / 1000 - 0.05 for r in results), results
    first_done = min(r[2] for r in results)
    assert draining_at < first_done and refused_at < first_done, "drain signals came only after the requests"

    rc = p.wait_exit(10)
    assert rc == 0, f"exit code {rc} after drain"
    assert time.monotonic() - started < 10


def test_idle_keepalive_connection_does_not_hold_the_drain(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_SHUTDOWN_TIMEOUT": "10s"})
    session = requests.Session()
    assert session.get(p.url + "/modules", timeout=5).status_code == 200  # connection stays open, idle
    t0 = time.monotonic()
    p.signal(signal.SIGTERM)
    rc = p.wait_exit(4)
    assert rc == 0, f"exit code {rc} (None: still running 4 s after SIGTERM with one idle connection)"
    assert time.monotonic() - t0 < 4
    session.close()


def test_shutdown_timeout_bounds_the_drain(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_SHUTDOWN_TIMEOUT": "1s"})
    outcome = []

    def slow():
        try:
            outcome.append(requests.get(f"{p.url}/_test/slow?ms=8000", timeout=15).status_code)
        except requests.RequestException as e:
            outcome.append(repr(e))

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    p.signal(signal.SIGTERM)
    rc = p.wait_exit(4)
    elapsed = time.monotonic() - t0
    t.join(timeout=15)
    assert rc is not None, "still running 4 s after SIGTERM with SPOKE_SHUTDOWN_TIMEOUT=1s"
    assert 0.8 <= elapsed < 3.0, elapsed
    assert outcome and outcome[0] != 200, outcome
