"""sd_notify protocol against our own NOTIFY_SOCKET: READY, WATCHDOG, STOPPING, RELOADING, and the
watchdog going quiet while a loop is stalled."""

import signal
import threading
import time

import pytest
import requests

from harness.notify_socket import NotifySocket

WATCHDOG_USEC = 400000
PERIOD_S = WATCHDOG_USEC / 1e6 / 2


@pytest.fixture
def notify(tmp_path):
    s = NotifySocket(tmp_path)
    yield s
    s.close()


def start(spawn_spoke, notify, **env):
    env = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": str(WATCHDOG_USEC), **env}
    return spawn_spoke(env=env)


def is_ready(m):
    return m.has("READY", "1")


def is_watchdog(m):
    return m.has("WATCHDOG", "1")


def test_ready_watchdog_stopping_order(spawn_spoke, notify):
    p = start(spawn_spoke, notify)
    ready = notify.wait_for(is_ready, 5)
    assert ready is not None, notify.snapshot()
    assert ready.fields.get("MAINPID") == str(p.pid), ready
    assert ready.fields.get("STATUS"), ready
    assert ready.pid == p.pid, "READY=1 must come from the main process"
    ready_index = notify.index_of(ready)
    before = notify.snapshot()[:ready_index]
    assert not any(is_watchdog(m) or m.has("STOPPING") for m in before), before

    time.sleep(1.5)
    pings = [m for m in notify.snapshot()[ready_index:] if is_watchdog(m)]
    assert len(pings) >= int(1.5 / PERIOD_S) - 3, f"only {len(pings)} WATCHDOG=1 in 1.5 s"
    gaps = [b.at - a.at for a, b in zip(pings, pings[1:])]
    assert max(gaps) < WATCHDOG_USEC / 1e6, f"watchdog gap {max(gaps):.3f}s exceeds WATCHDOG_USEC"
    assert all(m.pid == p.pid for m in pings)

    p.signal(signal.SIGTERM)
    stopping = notify.wait_for(lambda m: m.has("STOPPING", "1"), 5, start_index=ready_index)
    assert stopping is not None, notify.snapshot()
    assert p.wait_exit(10) == 0
    after = notify.snapshot()[notify.index_of(stopping) + 1:]
    assert not any(is_ready(m) for m in after), after


def test_sighup_sends_reloading_then_ready(spawn_spoke, notify):
    p = start(spawn_spoke, notify)
    first = notify.wait_for(is_ready, 5)
    assert first is not None
    start_index = notify.index_of(first) + 1
    p.signal(signal.SIGHUP)
    reloading = notify.wait_for(lambda m: m.has("RELOADING", "1"), 5, start_index=start_index)
    assert reloading is not None, notify.snapshot()
    ready_again = notify.wait_for(is_ready, 5, start_index=notify.index_of(reloading))
    assert ready_again is not None, notify.snapshot()
    assert ready_again.at >= reloading.at
    assert p.running()
    r = requests.get(p.health_url + "/health/ready", timeout=2)
    assert r.status_code == 200
    assert requests.get(p.url + "/modules", timeout=2).status_code == 200


def test_stalled_loop_stops_the_watchdog_and_fails_liveness(spawn_spoke, notify):
    p = start(spawn_spoke, notify, SPOKE_THREADS="1")
    assert notify.wait_for(is_ready, 5) is not None
    assert notify.wait_for(is_watchdog, 2) is not None
    assert requests.get(p.health_url + "/health/live", timeout=2).status_code == 200

    stall_result = []

    def stall():
        try:
            stall_result.append(requests.post(p.url + "/_test/stall?ms=3000", timeout=10).status_code)
        except requests.RequestException as e:
            stall_result.append(repr(e))

    t = threading.Thread(target=stall)
    t0 = time.monotonic()
    t.start()

    # Heartbeats go stale after 1 s; from then on until the stall ends, no WATCHDOG=1.
    time.sleep(1.6)
    live = requests.get(p.health_url + "/health/live", timeout=1)
    assert live.status_code == 503, live.text
    assert live.json()["status"] != "ok"
    time.sleep(max(0.0, t0 + 2.9 - time.monotonic()))
    quiet = [m for m in notify.snapshot() if is_watchdog(m) and t0 + 1.5 <= m.at <= t0 + 2.9]
    assert quiet == [], f"WATCHDOG=1 sent while the only loop was stalled: {quiet}"

    t.join(timeout=10)
    assert stall_result == [200], stall_result
    end = time.monotonic()
    resumed = notify.wait_for(lambda m: is_watchdog(m) and m.at > end, 2, start_index=0)
    assert resumed is not None, "WATCHDOG=1 did not resume after the stall"
    deadline = time.monotonic() + 2
    status = None
    while time.monotonic() < deadline:
        status = requests.get(p.health_url + "/health/live", timeout=1).status_code
        if status == 200:
            break
        time.sleep(0.05)
    assert status == 200


def test_without_notify_socket_no_watchdog_needed(spawn_spoke):
    p = spawn_spoke(env={"WATCHDOG_USEC": str(WATCHDOG_USEC)})
    time.sleep(0.5)
    assert p.running()
    assert requests.get(p.health_url + "/health/live", timeout=2).status_code == 200
