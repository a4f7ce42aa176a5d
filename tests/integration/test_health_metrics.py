"""Health port: liveness, readiness, Prometheus metrics."""

import os
import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from harness.spoke_api import SpokeClient, assert_error, assert_json

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


def test_promtool_accepts_the_metrics(health, api):
    """The whole exposition passes Prometheus' own linter (HELP and TYPE for every family, names,
    units, histogram shapes), on whichever storage type is under test."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: scripts/install-deps.sh --test installs Debian's prometheus"
    api.push_ok(api.new_module("prom"), "1.0.0", {"a.proto": "syntax = \"proto3\";\npackage p;\n"})
    _, text = scrape(health)
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        f"promtool check metrics: rc={r.returncode}\n{r.stdout}{r.stderr}"


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def test_process_metrics_match_what_the_kernel_says(module_spoke, health):
    samples, _ = scrape(health)
    pid = module_spoke.pid
    start = value(samples, "process_start_time_seconds")
    assert time.time() - 3600 < start <= time.time() + 1, start
    with open(f"/proc/{pid}/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/stat") as f:
        boot = int(next(line for line in f if line.startswith("btime")).split()[1])
    assert abs(start - (boot + ticks / os.sysconf("SC_CLK_TCK"))) < 0.05
    rss = value(samples, "process_resident_memory_bytes")
    kernel_rss = proc_status_kib(pid, "VmRSS") * 1024
    assert 0.5 * kernel_rss < rss < 2 * kernel_rss, (rss, kernel_rss)
    assert value(samples, "process_virtual_memory_bytes") >= rss
    fds = value(samples, "process_open_fds")
    assert abs(fds - len(os.listdir(f"/proc/{pid}/fd"))) <= 4, fds
    with open(f"/proc/{pid}/limits") as f:
        soft = next(line for line in f if line.startswith("Max open files")).split()[3]
    assert value(samples, "process_max_fds") == float(soft)
    cpu = value(samples, "process_cpu_seconds_total")
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    kernel_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    assert cpu > 0 and abs(cpu - kernel_cpu) < 0.5, (cpu, kernel_cpu)


def test_readiness_in_the_metrics_is_what_health_ready_says(health):
    ready = health.get("/health/ready")
    assert ready.status_code == 200
    samples, _ = scrape(health)
    assert value(samples, "spoke_ready") == 1
    checks = assert_json(ready)["checks"]
    up = {dict(lbl)["dependency"]: (v, dict(lbl)["required"])
          for (name, lbl), v in samples.items() if name == "spoke_dependency_up"}
    assert up == {name: (1.0 if c["status"] == "up" else 0.0, "true" if c["required"] else "false")
                  for name, c in checks.items()}, (up, checks)


@pytest.mark.postgres_only("the PostgreSQL pool and S3 calls are the postgres storage type's")
def test_dependency_calls_and_pools_on_postgres(api, health):
    before, _ = scrape(health)
    module = api.new_module("deps")
    api.push_ok(module, "1.0.0", {"a.proto": "syntax = \"proto3\";\npackage d;\n"})
    assert api.get(f"/modules/{module}").status_code == 200
    after, text = scrape(health)
    for dependency in ("postgres_primary", "s3"):
        calls = value(after, "spoke_dependency_calls_total", dependency=dependency, outcome="ok")
        assert calls > value(before, "spoke_dependency_calls_total", dependency=dependency,
                             outcome="ok"), (dependency, text)
        count = value(after, "spoke_dependency_call_duration_seconds_count", dependency=dependency)
        errors = value(after, "spoke_dependency_calls_total", dependency=dependency,
                       outcome="error")
        assert count == calls + errors, (dependency, count, calls, errors)
        assert value(after, "spoke_dependency_call_duration_seconds_bucket", dependency=dependency,
                     le="+Inf") == count
        assert 0 < value(after, "spoke_dependency_call_duration_seconds_sum",
                         dependency=dependency) < 60 * count
    cap = value(after, "spoke_postgres_pool_max_connections", endpoint="postgres_primary")
    # The harness's SPOKE_POSTGRES_MAX_CONNS (8, split over the loops) and the health probes' one.
    assert cap == 8 + 1, text
    held = sum(value(after, "spoke_postgres_pool_connections", endpoint="postgres_primary",
                     state=s) for s in ("idle", "busy", "connecting"))
    assert 1 <= held <= cap, text
    assert value(after, "spoke_postgres_pool_waiting", endpoint="postgres_primary") == 0
    if os.environ.get("PG_STANDBY_URL"):
        lags = [v for (name, lbl), v in after.items()
                if name == "spoke_postgres_replica_lag_seconds"
                and dict(lbl) == {"endpoint": "postgres_replica_0"}]
        assert len(lags) == 1 and 0 <= lags[0] < 10, text


@pytest.mark.postgres_only("S3 is a dependency of the postgres storage type")
def test_a_dead_dependency_shows_as_errors_and_not_ready(spawn_spoke):
    """S3 answers the start-up check, then goes away: calls to it count as errors, and
    spoke_ready and spoke_dependency_up say what /health/ready says."""

    class AnswersEverything(BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    s3 = HTTPServer(("127.0.0.1", 0), AnswersEverything)
    threading.Thread(target=s3.serve_forever, daemon=True).start()
    try:
        server = spawn_spoke(env={"SPOKE_S3_ENDPOINT": f"http://127.0.0.1:{s3.server_port}"})
        client = server.client()  # the token command checks S3 at start-up too
    finally:
        s3.shutdown()
        s3.server_close()  # from now on connections to it are refused
    module = client.new_module("dead")
    r = client.push(module, "1.0.0", {"a.proto": "syntax = \"proto3\";\npackage d;\n"})
    assert r.status_code == 503, r.text
    health = SpokeClient(server.health_url)
    ready = health.get("/health/ready")
    assert ready.status_code == 503, ready.text
    assert assert_json(ready)["checks"]["s3"]["status"] == "down", ready.text
    samples, _ = scrape(health)
    assert value(samples, "spoke_ready") == 0
    assert value(samples, "spoke_dependency_up", dependency="s3", required="true") == 0
    assert value(samples, "spoke_dependency_up", dependency="postgres_primary",
                 required="true") == 1
    assert value(samples, "spoke_dependency_calls_total", dependency="s3", outcome="error") >= 1
    health.close()
    client.close()
