"""Connections of the API port: pipelined requests answered in order (SPOKE_MAX_PIPELINE is
backpressure, not an error), a client that leaves while its request is being handled, and the
connection metrics on the health port."""

import re
import time

import requests

from harness.raw_http import RawConnection, build_request
from harness.spoke_api import SpokeClient, metric, scrape_metrics
from harness.spoke_process import HOST

HTTP_METRICS = {
    "spoke_http_connections": "gauge",
    "spoke_http_connections_rejected_total": "counter",
    "spoke_http_timeouts_total": "counter",
    "spoke_http_client_gone_total": "counter",
    "spoke_http_protocol_errors_total": "counter",
}


def get(c, target, rid):
    return build_request("GET", target, {"X-Request-Id": rid}, host=c.authority)


def test_five_pipelined_requests_are_answered_in_order(module_spoke):
    with RawConnection(HOST, module_spoke.port) as c:
        targets = ["/modules", "/api/v1/languages", "/modules?limit=1", "/no/such/route", "/modules"]
        c.send(b"".join(get(c, t, f"r{i + 1}") for i, t in enumerate(targets)))
        responses = c.read_responses(5, timeout_s=5)
        assert [r.header("x-request-id") for r in responses] == ["r1", "r2", "r3", "r4", "r5"], responses
        assert [r.status for r in responses] == [200, 200, 200, 404, 200], responses
        # Still usable afterwards.
        c.send(get(c, "/modules", "r6"))
        assert c.read_response().header("x-request-id") == "r6"


def test_pipelined_fast_request_waits_for_the_slow_one_before_it(module_spoke):
    with RawConnection(HOST, module_spoke.port) as c:
        t0 = time.monotonic()
        c.send(get(c, "/_test/slow?ms=300", "slow") + get(c, "/modules", "fast"))
        first = c.read_response(timeout_s=5)
        second = c.read_response(timeout_s=5)
        assert (first.header("x-request-id"), second.header("x-request-id")) == ("slow", "fast")
        assert first.status == 200 and first.json() == {"slept_ms": 300}, first
        assert second.status == 200, second
        assert first.received_at - t0 >= 0.25, "the slow request was answered too early"


def test_pipeline_beyond_max_pipeline_is_all_answered_in_order(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_MAX_PIPELINE": "2"})
    plan = [("/_test/slow?ms=200", 200), ("/modules", 200), ("/api/v1/languages", 200),
            ("/modules", 200), ("/_test/slow?ms=100", 200), ("/modules?limit=1", 200),
            ("/no/such/route", 404), ("/modules", 200), ("/modules", 200), ("/modules", 200)]
    with RawConnection(HOST, p.port) as c:
        c.send(b"".join(get(c, t, f"p{i}") for i, (t, _) in enumerate(plan)))
        responses = c.read_responses(len(plan), timeout_s=8)
        assert [r.header("x-request-id") for r in responses] == [f"p{i}" for i in range(len(plan))]
        assert [r.status for r in responses] == [s for _, s in plan], responses
        assert all("close" not in r.connection_tokens for r in responses), responses
        c.send(get(c, "/modules", "after"))
        assert c.read_response().status == 200


def test_client_gone_during_its_request_is_noticed_and_counted(module_spoke):
    health = SpokeClient(module_spoke.health_url)
    try:
        before = metric(scrape_metrics(health), "spoke_http_client_gone_total")
        c = RawConnection(HOST, module_spoke.port)
        c.send(get(c, "/_test/slow?ms=1000", "gone"))
        time.sleep(0.1)
        c.close()
        t0 = time.monotonic()
        while True:
            after = metric(scrape_metrics(health), "spoke_http_client_gone_total")
            if after > before or time.monotonic() - t0 > 3:
                break
            time.sleep(0.05)
        assert after >= before + 1, f"spoke_http_client_gone_total stayed at {after} 3 s after the client left"
        assert health.get("/health/live").status_code == 200
        assert requests.get(module_spoke.url + "/modules", timeout=2,
                            headers={"Connection": "close"}).status_code == 200
    finally:
        health.close()


def test_http_metrics_are_exported(module_spoke):
    r = requests.get(module_spoke.health_url + "/metrics", timeout=2)
    assert r.status_code == 200
    for name, kind in HTTP_METRICS.items():
        assert re.search(rf"^# TYPE {name} {kind}$", r.text, re.M), f"no '# TYPE {name} {kind}' in /metrics"
    for kind in ("header", "body", "idle", "write"):
        assert re.search(rf'^spoke_http_timeouts_total\{{kind="{kind}"\}} \S+$', r.text, re.M), \
            f'no spoke_http_timeouts_total{{kind="{kind}"}} sample'
    for name in ("spoke_http_connections_rejected_total", "spoke_http_client_gone_total",
                 "spoke_http_protocol_errors_total"):
        assert re.search(rf"^{name}(\{{[^}}]*\}})? \S+$", r.text, re.M), f"no {name} sample"


def test_connections_gauge_counts_open_api_connections(module_spoke):
    health = SpokeClient(module_spoke.health_url)
    held = []
    try:
        def gauge_until(expected, timeout_s=3.0):
            deadline = time.monotonic() + timeout_s
            while True:
                value = metric(scrape_metrics(health), "spoke_http_connections")
                if value == expected or time.monotonic() > deadline:
                    return value
                time.sleep(0.05)

        # The connections of the tests before are closed by now (or within the wait).
        assert gauge_until(0) == 0, "spoke_http_connections is not 0 with no API client connected"
        for i in range(5):
            c = RawConnection(HOST, module_spoke.port)
            held.append(c)
            c.send(get(c, "/modules", f"g{i}"))
            assert c.read_response().status == 200
        value = gauge_until(5)
        assert value == 5, f"spoke_http_connections is {value} with 5 API connections open"
        for c in held:
            c.close()
        value = gauge_until(0)
        assert value == 0, f"spoke_http_connections is {value} after the 5 connections closed"
    finally:
        for c in held:
            c.close()
        health.close()


def test_pipelined_bodies_past_the_connection_buffer_are_all_answered_in_order(spawn_spoke):
    # Three 60 KiB bodies behind a slow request, with room for one body of SPOKE_MAX_BODY held
    # per connection: the connection stops reading after each and resumes as they are answered.
    p = spawn_spoke(env={"SPOKE_MAX_BODY": "64KiB", "SPOKE_MAX_FILE_SIZE": "64KiB",
                         "SPOKE_MAX_CONNECTION_BUFFER": "64KiB"})
    body = b'{"files": [{"path": "a.proto", "content": "' + b"/" * 2 + b" " + b"x" * 60000 + b'"}]}'
    with RawConnection(HOST, p.port) as c:
        requests_ = [get(c, "/_test/slow?ms=200", "b0")]
        for i in range(1, 4):
            requests_.append(build_request("POST", "/validate",
                                           {"X-Request-Id": f"b{i}", "Content-Type": "application/json"},
                                           body=body, host=c.authority))
        requests_.append(get(c, "/modules", "b4"))
        c.send(b"".join(requests_))
        responses = c.read_responses(5, timeout_s=10)
        assert [r.header("x-request-id") for r in responses] == [f"b{i}" for i in range(5)], responses
        assert responses[0].status == 200 and responses[4].status == 200, responses
        # The bodies reached the handler whole: validation answered on them, not a framing error.
        assert all(r.status in (200, 422) for r in responses[1:4]), responses
