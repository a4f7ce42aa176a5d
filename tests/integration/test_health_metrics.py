"""Health port: liveness, readiness, Prometheus metrics."""

import os
import re
import threading
import time

import requests

from harness.spoke_api import assert_error, assert_json

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTE = "GET /modules/{name}"


def project_version():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        return re.search(r"project\(spoke VERSION ([0-9.]+)", f.read()).group(1)


def scrape(health):
    r = health.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers["Content-Type"]
    samples = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(3) or "")))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples, r.text


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape_until(health, done, timeout_s=2.0):
    """Scrapes until done(samples) holds or the deadline passes (metrics are recorded just after the
    reply is sent, so a client can be a moment ahead of them); returns the last scrape."""
    deadline = time.monotonic() + timeout_s
    while True:
        samples, text = scrape(health)
        if done(samples) or time.monotonic() > deadline:
            return samples, text
        time.sleep(0.02)


def test_live(health):
    r = health.get("/health/live")
    assert r.status_code == 200
    assert assert_json(r) == {"status": "ok"}


def test_ready(health):
    r = health.get("/health/ready")
    assert r.status_code == 200
    body = assert_json(r)
    assert body["status"] == "ready"
    storage = body["checks"]["storage"]
    assert storage["status"] == "up"
    assert isinstance(storage["latency_ms"], int) and storage["latency_ms"] >= 0


def test_health_unknown_route_is_404(health):
    assert_error(health.get("/health/nope"), 404)


def test_request_counter_counts_by_route_template_and_status(api, health):
    m = api.new_module("metric")
    before, _ = scrape(health)
    for _ in range(3):
        assert api.get(f"/modules/{m}").status_code == 200
    for i in range(2):
        assert api.get(f"/modules/metric-missing-{i}").status_code == 404
    def delta(samples, status):
        return value(samples, "spoke_http_requests_total", route=ROUTE, status=status) - \
            value(before, "spoke_http_requests_total", route=ROUTE, status=status)

    after, text = scrape_until(health, lambda s: delta(s, "200") >= 3 and delta(s, "404") >= 2)
    time.sleep(0.1)
    after, text = scrape(health)
    assert delta(after, "200") == 3, text
    assert delta(after, "404") == 2, text
    # Route labels are templates: no module name ever becomes a label value.
    assert m not in text and "metric-missing-0" not in text


def test_latency_histogram(api, health):
    m = api.new_module("hist")
    for _ in range(4):
        assert api.get(f"/modules/{m}").status_code == 200
    samples, text = scrape_until(health, lambda s: value(
        s, "spoke_http_request_duration_seconds_bucket", route=ROUTE, le="+Inf") >= 4)
    buckets = sorted(((float("inf") if dict(lbl)["le"] == "+Inf" else float(dict(lbl)["le"])), v)
                     for (name, lbl), v in samples.items()
                     if name == "spoke_http_request_duration_seconds_bucket" and dict(lbl).get("route") == ROUTE)
    assert len(buckets) >= 2, text
    assert buckets[-1][0] == float("inf")
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), f"buckets are not cumulative: {buckets}"
    total = value(samples, "spoke_http_requests_total", route=ROUTE, status="200") + \
        value(samples, "spoke_http_requests_total", route=ROUTE, status="404")
    assert buckets[-1][1] >= 4
    count = [v for (name, lbl), v in samples.items()
             if name == "spoke_http_request_duration_seconds_count" and dict(lbl).get("route") == ROUTE]
    if count:
        assert sum(count) == buckets[-1][1]
    assert buckets[-1][1] == total, text


def test_inflight_gauge_follows_slow_requests(module_spoke, health):
    base, _ = scrape(health)
    idle = value(base, "spoke_http_inflight_requests")
    results = []

    def slow():
        results.append(requests.get(module_spoke.url + "/_test/slow?ms=1500", timeout=10).status_code)

    threads = [threading.Thread(target=slow) for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 1.2
    during = idle
    while time.monotonic() < deadline:
        during = value(scrape(health)[0], "spoke_http_inflight_requests")
        if during - idle >= 3:
            break
        time.sleep(0.05)
    for t in threads:
        t.join(timeout=10)
    assert results == [200, 200, 200]
    assert during - idle == 3
    after = value(scrape_until(health, lambda s: value(s, "spoke_http_inflight_requests") == idle)[0],
                  "spoke_http_inflight_requests")
    assert after == idle


def test_build_info(health):
    samples, text = scrape(health)
    info = [(dict(lbl), v) for (name, lbl), v in samples.items() if name == "spoke_build_info"]
    assert len(info) == 1, text
    labels, v = info[0]
    assert v == 1
    assert labels["version"] == project_version(), labels


def test_metrics_have_help_and_type(health):
    _, text = scrape(health)
    for name, kind in [("spoke_http_requests_total", "counter"),
                       ("spoke_http_request_duration_seconds", "histogram"),
                       ("spoke_http_inflight_requests", "gauge")]:
        assert re.search(rf"^# TYPE {name} {kind}$", text, re.M), name
        assert re.search(rf"^# HELP {name} \S", text, re.M), name
