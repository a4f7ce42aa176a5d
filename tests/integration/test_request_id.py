"""X-Request-Id on every response (echoed or generated) and traceparent propagation into the logs."""

import json
import time

from harness.spoke_api import proto

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def wait_for_log(process, needle, timeout_s=5.0):
    """The first JSON log record whose serialized form contains `needle`, or None at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for rec in process.log_records():
            if needle in json.dumps(rec):
                return rec
        time.sleep(0.05)
    return None


def test_generated_request_ids_are_unique(api):
    ids = set()
    for _ in range(20):
        r = api.get("/modules")
        rid = r.headers.get("X-Request-Id")
        assert rid and len(rid) >= 8, r.headers
        ids.add(rid)
    assert len(ids) == 20


def test_client_request_id_is_echoed_everywhere(api, health):
    m = api.new_module("rid")
    cases = [
        ("GET", "/modules", None, 200),
        ("GET", f"/modules/{m}", None, 200),
        ("GET", "/no/such/route", None, 404),
        ("DELETE", "/modules", None, 405),
        ("POST", f"/modules/{m}/versions", b"{not json", 400),
        ("POST", f"/modules/{m}/versions",
         json.dumps({"version": "1.0.0", "files": [{"path": "a.proto", "content": proto("rid", "message A {}")}]}), 201),
        ("GET", f"/modules/{m}/versions/9.9.9", None, 404),
    ]
    for i, (method, path, data, status) in enumerate(cases):
        rid = f"client-id-{i}-abc"
        r = api.request(method, path, data=data, headers={"X-Request-Id": rid, "Content-Type": "application/json"})
        assert r.status_code == status, (method, path, r.status_code, r.text)
        assert r.headers.get("X-Request-Id") == rid, (method, path, r.headers)
    for path, status in [("/health/live", 200), ("/health/ready", 200), ("/metrics", 200), ("/nope", 404)]:
        r = health.get(path, headers={"X-Request-Id": "health-id-1"})
        assert r.status_code == status, (path, r.text)
        assert r.headers.get("X-Request-Id") == "health-id-1", (path, r.headers)


def test_304_carries_request_id(api):
    m = api.new_module("rid304")
    api.push_ok(m, "1.0.0", {"a.proto": proto("rid304", "message A {}")})
    etag = api.get(f"/modules/{m}/versions/1.0.0").headers["ETag"]
    r = api.get(f"/modules/{m}/versions/1.0.0", headers={"If-None-Match": etag, "X-Request-Id": "cond-1"})
    assert r.status_code == 304
    assert r.headers.get("X-Request-Id") == "cond-1"


def test_request_id_appears_in_logs(api, module_spoke):
    rid = "log-me-7f3a9c"
    assert api.get("/modules", headers={"X-Request-Id": rid}).status_code == 200
    rec = wait_for_log(module_spoke, rid)
    assert rec is not None, "no JSON log line carries the request id"


def test_traceparent_is_propagated_into_logs(api, module_spoke):
    r = api.get("/modules", headers={"traceparent": TRACEPARENT})
    assert r.status_code == 200
    rec = wait_for_log(module_spoke, TRACE_ID)
    assert rec is not None, "no JSON log line carries the traceparent's trace id"


def test_logs_are_json_lines(module_spoke, api):
    assert api.get("/modules").status_code == 200
    lines = [line for line in module_spoke.stdout().splitlines() if line.strip()]
    assert lines, "no log output on stdout"
    for line in lines:
        rec = json.loads(line)
        assert isinstance(rec, dict), line
