"""JSON log lines on stdout: the configuration summary at start (never a secret), one access line
per request with its request id, route, status, duration and bytes, and a SIGHUP reload of the log
level from SPOKE_ENV_FILE."""

import json
import os
import signal
import time

import requests

from harness.spoke_process import storage_under_test

SECRET = "s3cr3t-value-that-must-not-appear"


def read_lines(server):
    with open(server.stdout_path, encoding="utf-8") as f:
        raw = [line for line in f.read().splitlines() if line.strip()]
    lines = []
    for line in raw:
        lines.append(json.loads(line))  # every stdout line is one JSON object
    return lines


def wait_for(server, predicate, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = read_lines(server)
        if any(predicate(line) for line in lines):
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no matching log line within {timeout_s}s: {read_lines(server)[-5:]}")


def test_configuration_summary_without_secrets(spawn_spoke):
    storage = storage_under_test()
    env = {"SPOKE_REDIS_PASSWORD": SECRET}
    if storage == "filesystem":
        # Parsed but unused by this backend: still never printed.
        env.update({"SPOKE_S3_SECRET_KEY": SECRET, "SPOKE_S3_ACCESS_KEY": SECRET})
    server = spawn_spoke(env=env)
    secrets = {SECRET, server.env()["SPOKE_S3_SECRET_KEY"]} if storage == "postgres" else {SECRET}
    config = [line for line in read_lines(server) if line["msg"] == "configuration"]
    assert len(config) == 1, config
    c = config[0]
    assert c["level"] == "info" and c["ts"].endswith("Z")
    assert c["port"] == server.port and c["health_port"] == server.health_port
    assert c["threads"] == 2 and c["storage_type"] == storage
    # Given-but-unused settings are listed by name only.
    assert "SPOKE_REDIS_PASSWORD" in c["ignored_until_supported"]
    # Used secrets are reported as present, never by value.
    assert c["s3_credentials_set"] is True
    server.stop()
    for path in (server.stdout_path, server.stderr_path):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for secret in secrets:
            assert secret not in text, f"a secret reached {os.path.basename(path)}"


def test_one_access_line_per_request(spawn_spoke):
    server = spawn_spoke()
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    r = requests.get(f"{server.url}/modules/nope", headers={"X-Request-Id": "log-test-1",
                                                            "traceparent": trace}, timeout=5)
    assert r.status_code == 404
    r2 = requests.post(f"{server.url}/modules", json={"name": "logged"}, headers=server.auth_headers(),
                       timeout=5)
    assert r2.status_code == 201
    rid2 = r2.headers["X-Request-Id"]
    lines = wait_for(server, lambda l: l.get("request_id") == rid2)
    access = [l for l in lines if l["msg"] == "access"]
    first = [l for l in access if l["request_id"] == "log-test-1"]
    assert len(first) == 1, access
    a = first[0]
    assert a["route"] == "GET /modules/{name}" and a["status"] == 404 and a["method"] == "GET"
    assert a["path"] == "/modules/nope" and a["traceparent"] == trace
    assert a["bytes"] == len(r.content) and a["duration_ms"] >= 0
    b = [l for l in access if l["request_id"] == rid2]
    assert len(b) == 1 and b[0]["route"] == "POST /modules" and b[0]["status"] == 201, b


def test_sighup_reloads_log_level_from_env_file(spawn_spoke, tmp_path):
    env_file = tmp_path / "spoke.env"
    env_file.write_text("SPOKE_LOG_LEVEL=info\n")
    server = spawn_spoke(env={"SPOKE_ENV_FILE": str(env_file)})
    requests.get(f"{server.url}/modules", headers={"X-Request-Id": "before-reload"}, timeout=5)
    wait_for(server, lambda l: l.get("request_id") == "before-reload")

    env_file.write_text("# quieter\nSPOKE_LOG_LEVEL=warn\nSPOKE_PORT=1\n")
    os.kill(server.pid, signal.SIGHUP)
    lines = wait_for(server, lambda l: l.get("msg") == "setting changed; takes effect after a restart")
    assert any(l.get("setting") == "SPOKE_PORT" for l in lines), lines[-5:]
    assert any(l.get("msg") == "log level changed" and l.get("log_level") == "warn" for l in lines)
    requests.get(f"{server.url}/modules", headers={"X-Request-Id": "after-reload"}, timeout=5)
    time.sleep(0.4)  # past the access log's 100 ms flush period
    assert not any(l.get("request_id") == "after-reload" for l in read_lines(server)), \
        "an access line was written at log level warn"
    # The server still serves on its original port: SPOKE_PORT needs a restart.
    assert requests.get(f"{server.health_url}/health/ready", timeout=5).status_code == 200


def test_bad_env_file_on_sighup_keeps_running_config(spawn_spoke, tmp_path):
    env_file = tmp_path / "spoke.env"
    env_file.write_text("SPOKE_LOG_LEVEL=info\n")
    server = spawn_spoke(env={"SPOKE_ENV_FILE": str(env_file)})
    env_file.write_text("SPOKE_LOG_LEVEL=shouting\n")
    os.kill(server.pid, signal.SIGHUP)
    lines = wait_for(server, lambda l: l.get("msg") == "reload rejected")
    assert any("SPOKE_LOG_LEVEL" in l.get("error", "") for l in lines)
    requests.get(f"{server.url}/modules", headers={"X-Request-Id": "still-info"}, timeout=5)
    wait_for(server, lambda l: l.get("request_id") == "still-info")
