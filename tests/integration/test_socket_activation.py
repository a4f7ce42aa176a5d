"""Socket activation: spoke-server serves the API and health sockets a holder passes (systemd's
LISTEN_FDS protocol, sockets matched by FileDescriptorName=), so a restart refuses no connection:
while no process runs, the kernel queues them on the held sockets."""

import time

import pytest
import requests

from harness.socket_holder import SocketHolder
from harness.wrk_load import WrkLoad

PROTO = 'syntax = "proto3";\npackage act.v1;\nmessage Ping { string id = 1; }\n'


@pytest.fixture
def holder():
    h = SocketHolder()
    yield h
    h.close()


def activated(spawn_spoke, holder, **env):
    p = spawn_spoke(env=dict({"SPOKE_THREADS": "2", "SPOKE_SHUTDOWN_TIMEOUT": "5s"}, **env),
                    start=False)
    p.socket_holder = holder
    p.start()
    return p


def test_the_passed_sockets_are_served_on_their_ports(spawn_spoke, holder):
    p = activated(spawn_spoke, holder)
    assert requests.get(f"{p.health_url}/health/ready", timeout=5).status_code == 200
    assert requests.get(f"{p.url}/modules", timeout=5).status_code == 200
    # The health socket is not the API's: an API route there is not served.
    assert requests.get(f"{p.health_url}/modules", timeout=5).status_code == 404
    logs = [r for r in p.log_records() if r.get("msg", "").startswith("serving sockets passed")]
    assert logs and logs[0]["api"] is True and logs[0]["health"] is True, p.describe_logs()


def test_sockets_are_matched_by_name_not_position(spawn_spoke):
    h = SocketHolder(names=("health", "api"))
    try:
        p = activated(spawn_spoke, h)
        assert requests.get(f"{p.url}/modules", timeout=5).status_code == 200
        assert requests.get(f"{p.health_url}/health/live", timeout=5).status_code == 200
    finally:
        p.stop()
        h.close()


def test_an_unknown_socket_name_is_refused_clearly(spawn_spoke):
    h = SocketHolder(names=("api", "metrics"))
    try:
        p = spawn_spoke(start=False)
        p.socket_holder = h
        p.spawn()
        assert p.wait_exit(15) == 1
        p.expect_clean_exit = False
        assert 'named \\"metrics\\"; expected api or health' in p.stdout(), p.describe_logs()
    finally:
        h.close()


def test_restarts_under_load_refuse_no_connection_and_fail_no_request(spawn_spoke, holder):
    p = activated(spawn_spoke, holder)
    client = p.client()
    module = client.new_module("act")
    client.push_ok(module, "1.0.0", {"act/v1/ping.proto": PROTO})
    path = f"/modules/{module}/versions/1.0.0"
    assert requests.get(p.url + path, timeout=5).status_code == 200

    restarts = 3
    load = WrkLoad(p.url + path)
    try:
        time.sleep(2)
        for _ in range(restarts):
            p.drain_restart(30)
            time.sleep(1.5)
    finally:
        result = load.stop()
    print(load.output)
    assert p.starts == restarts + 1
    assert result["requests"] > 1000, load.output
    assert result["errors"] == 0, load.output
    assert result["non2xx"] == 0, load.output
