"""Traces over OTLP/HTTP (SPOKE_OTEL_*) to a collector the test runs: the caller's W3C trace is
continued (or a new one started), spans carry their attributes and the logs their ids, and a
collector that hangs or is gone slows no request; its spans are dropped and counted. What a
request causes (a compile on a worker; PostgreSQL statements, S3 requests and Redis commands)
are child spans of its server span, and S3 receives the trace in its requests' `traceparent`."""

import http.client
import json
import os
import socket
import urllib.parse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from harness.spoke_api import SpokeClient, metric, scrape_metrics, wait_redis_up
from harness.spoke_process import free_port, postgres_environment, run_once

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


class Collector:
    """An OTLP/HTTP JSON receiver: keeps every span posted to /v1/traces (with its resource)."""

    def __init__(self, hang_s=0.0):
        self.spans = []
        self.posts = 0
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hang_s:
                    time.sleep(hang_s)  # past the exporter's timeout: it gives up first
                    return
                with collector.lock:
                    collector.posts += 1
                    assert self.path == "/v1/traces", self.path
                    assert self.headers["Content-Type"] == "application/json"
                    for rs in json.loads(body)["resourceSpans"]:
                        resource = {a["key"]: a["value"]["stringValue"]
                                    for a in rs["resource"]["attributes"]}
                        for ss in rs["scopeSpans"]:
                            for span in ss["spans"]:
                                collector.spans.append((resource, span))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, match, timeout_s=10.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                found = [(r, s) for r, s in self.spans if match(s)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching span among {len(self.spans)}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    c = Collector()
    yield c
    c.close()


def otel_env(endpoint):
    return {"SPOKE_OTEL_ENABLED": "true", "SPOKE_OTEL_ENDPOINT": endpoint,
            "SPOKE_OTEL_SERVICE_VERSION": "9.9.9-test"}


def attributes(span):
    out = {}
    for a in span["attributes"]:
        v = a["value"]
        out[a["key"]] = v.get("stringValue", v.get("intValue"))
    return out


def access_line(server, request_id, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for rec in server.log_records():
            if rec.get("msg") == "access" and rec.get("request_id") == request_id:
                return rec
        time.sleep(0.05)
    raise AssertionError(f"no access line for {request_id}")


def test_the_callers_trace_is_continued_and_exported(spawn_spoke, collector):
    server = spawn_spoke(env=otel_env(collector.url))
    r = requests.get(f"{server.url}/modules/nope", timeout=5,
                     headers={"traceparent": f"00-{TRACE_ID}-{PARENT}-01", "X-Request-Id": "tr-1"})
    assert r.status_code == 404
    # The server span; on postgres its statements are spans of the same trace too.
    [(resource, span)] = collector.wait_for(lambda s: s["traceId"] == TRACE_ID and s["kind"] == 2)
    assert resource["service.name"] == "spoke-registry"
    assert resource["service.version"] == "9.9.9-test"
    assert span["parentSpanId"] == PARENT and len(span["spanId"]) == 16
    assert span["name"] == "GET /modules/{name}" and span["kind"] == 2
    start, end = int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"])
    assert 0 <= end - start < 5e9 and abs(end / 1e9 - time.time()) < 60
    attrs = attributes(span)
    assert attrs["http.request.method"] == "GET" and attrs["http.route"] == "GET /modules/{name}"
    assert attrs["url.path"] == "/modules/nope" and attrs["http.response.status_code"] == "404"
    assert attrs["spoke.request_id"] == "tr-1"
    assert span["status"]["code"] == 0  # a 404 is the client's, not a server error
    line = access_line(server, "tr-1")
    assert line["trace_id"] == TRACE_ID and line["span_id"] == span["spanId"], line


def test_without_a_traceparent_a_new_trace_starts(spawn_spoke, collector):
    server = spawn_spoke(env=otel_env(collector.url))
    for i, header in enumerate([None, "00-zzzz-not-a-trace-01"]):
        headers = {"X-Request-Id": f"new-{i}"}
        if header:
            headers["traceparent"] = header
        assert requests.get(f"{server.url}/modules", headers=headers, timeout=5).status_code == 200
        [(_, span)] = collector.wait_for(
            lambda s, rid=f"new-{i}": attributes(s).get("spoke.request_id") == rid)
        assert len(span["traceId"]) == 32 and span["traceId"] != TRACE_ID
        assert "parentSpanId" not in span
        assert access_line(server, f"new-{i}")["trace_id"] == span["traceId"]


def test_a_write_gets_its_span_and_the_audit_line_its_ids(spawn_spoke, collector):
    server = spawn_spoke(env=otel_env(collector.url))
    client = server.client()
    module = client.new_module("traced")
    r = client.push(module, "1.0.0", {"a.proto": 'syntax = "proto3";\npackage t;\n'})
    assert r.status_code == 201
    rid = r.headers["X-Request-Id"]
    [(_, span)] = collector.wait_for(lambda s: attributes(s).get("spoke.request_id") == rid)
    assert span["name"] == "POST /modules/{name}/versions"
    assert attributes(span)["http.response.status_code"] == "201"
    client.close()


def server_span(collector, request_id):
    [(_, span)] = collector.wait_for(lambda s: attributes(s).get("spoke.request_id") == request_id)
    return span


def children(collector, parent, match, timeout_s=10.0):
    """The spans of `parent`'s trace whose parent it is and that `match`: at least one."""
    found = collector.wait_for(lambda s: s["traceId"] == parent["traceId"]
                               and s.get("parentSpanId") == parent["spanId"] and match(s),
                               timeout_s)
    return [s for _, s in found]


def within(child, parent):
    return (int(parent["startTimeUnixNano"]) <= int(child["startTimeUnixNano"])
            <= int(child["endTimeUnixNano"]) <= int(parent["endTimeUnixNano"]))


def test_a_push_compiles_in_a_child_span_of_its_request(spawn_spoke, collector):
    server = spawn_spoke(env=otel_env(collector.url))
    client = server.client()
    module = client.new_module("compiled")
    r = client.request("POST", f"/modules/{module}/versions",
                       json={"version": "1.0.0", "files": [
                           {"path": "a.proto", "content": 'syntax = "proto3";\npackage c;\n'
                                                          "message A { string id = 1; }\n"}]},
                       headers={"traceparent": f"00-{TRACE_ID}-{PARENT}-01"})
    assert r.status_code == 201, r.text
    parent = server_span(collector, r.headers["X-Request-Id"])
    assert parent["traceId"] == TRACE_ID and parent["parentSpanId"] == PARENT
    [compile_span] = children(collector, parent, lambda s: s["name"] == "compile")
    assert compile_span["kind"] == 1 and compile_span["spanId"] != parent["spanId"]
    assert within(compile_span, parent), (compile_span, parent)
    assert int(attributes(compile_span)["spoke.job.queued_us"]) >= 0
    assert compile_span["status"]["code"] == 0
    # A push that does not compile: its compile span failed, and so did nothing else.
    r = client.push(module, "1.0.1", {"a.proto": 'syntax = "proto3";\nmessage {\n'})
    assert r.status_code == 422, r.text
    failed = server_span(collector, r.headers["X-Request-Id"])
    [bad] = children(collector, failed, lambda s: s["name"] == "compile")
    assert bad["status"]["code"] == 2 and failed["status"]["code"] == 0
    client.close()


class RecordingProxy:
    """Forwards every request unchanged (Host included, so SigV4 signatures still verify) to
    `target` and keeps each request's method and traceparent header."""

    def __init__(self, target):
        self.seen = []
        self.lock = threading.Lock()
        proxy = self
        upstream = urllib.parse.urlsplit(target)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    proxy.seen.append((self.command, self.headers.get("traceparent")))
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=10)
                conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                answer = conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = relay

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.postgres_only("PostgreSQL statements, S3 requests and Redis commands")
def test_statements_s3_requests_and_redis_commands_are_child_spans(spawn_spoke, collector,
                                                                  tmp_path):
    env = otel_env(collector.url)
    proxy = RecordingProxy(postgres_environment("unused")["SPOKE_S3_ENDPOINT"])
    try:
        env["SPOKE_S3_ENDPOINT"] = proxy.url
        # Through the sentinels: an earlier test may have failed the first master over.
        redis_url = os.environ.get("REDIS_SENTINEL_URL")
        if redis_url:
            env["SPOKE_REDIS_URL"] = redis_url
        server = spawn_spoke(env=env)
        if redis_url:
            wait_redis_up(server)
        client = server.client()
        module = client.new_module("stored")
        r = client.push(module, "1.0.0", {"s.proto": 'syntax = "proto3";\npackage s;\n'
                                                     "message S { int32 n = 1; }\n"})
        assert r.status_code == 201, r.text
        push = server_span(collector, r.headers["X-Request-Id"])
        statements = children(collector, push,
                              lambda s: attributes(s).get("db.system.name") == "postgresql")
        for st in statements:
            a = attributes(st)
            assert st["kind"] == 3 and within(st, push), st
            assert st["name"] == a["db.operation.name"] and a["db.query.text"], a
            assert a["spoke.db.route"] in ("write", "read", "read_primary"), a
        assert any(attributes(st)["spoke.db.route"] == "write" for st in statements)
        s3 = children(collector, push, lambda s: s["name"].startswith("S3 "))
        for req in s3:
            assert req["kind"] == 3 and within(req, push), req
            assert attributes(req)["aws.s3.bucket"], req
        # S3 saw each request's own span as its parent: the trace goes on at the object store.
        with proxy.lock:
            sent = [tp for _, tp in proxy.seen if tp]
        for req in s3:
            assert f"00-{push['traceId']}-{req['spanId']}-01" in sent, (req["spanId"], sent)
        if redis_url:
            # The push's invalidation goes out on Redis in its trace (it may end after the reply).
            commands = children(collector, push,
                                lambda s: attributes(s).get("db.system.name") == "redis")
            assert any(c["name"].upper() == "PUBLISH" for c in commands), commands
            assert all(c["kind"] == 3 and c["status"]["code"] == 0 for c in commands), commands
        client.close()
    finally:
        proxy.close()


def slow_requests(server, n=100):
    """The slowest of n sequential reads, in seconds."""
    worst = 0.0
    with requests.Session() as s:
        for _ in range(n):
            t0 = time.monotonic()
            assert s.get(f"{server.url}/modules", timeout=10).status_code == 200
            worst = max(worst, time.monotonic() - t0)
    return worst


def test_a_hanging_collector_slows_no_request(spawn_spoke):
    hanging = Collector(hang_s=30)
    try:
        server = spawn_spoke(env=otel_env(hanging.url))
        health = SpokeClient(server.health_url)
        deadline = time.monotonic() + 15
        worst = 0.0
        while True:
            worst = max(worst, slow_requests(server))
            samples = scrape_metrics(health)
            if metric(samples, "spoke_otel_export_failures_total") >= 1:
                break
            assert time.monotonic() < deadline, "the exporter never gave up on the collector"
        # Every export waits for the collector's timeout (2 s); no request waits for an export.
        assert worst < 1.0, worst
        assert metric(samples, "spoke_otel_spans_total", result="dropped") >= 1
        health.close()
    finally:
        hanging.close()


def test_a_collector_that_is_gone_costs_only_the_spans(spawn_spoke):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        server = spawn_spoke(env=otel_env(f"http://127.0.0.1:{s.getsockname()[1]}"))
        assert slow_requests(server, 50) < 1.0
        health = SpokeClient(server.health_url)
        deadline = time.monotonic() + 10
        while metric(scrape_metrics(health), "spoke_otel_spans_total", result="dropped") < 50:
            assert time.monotonic() < deadline, scrape_metrics(health)
            time.sleep(0.2)
        assert metric(scrape_metrics(health), "spoke_otel_spans_total", result="exported") == 0
        health.close()


def test_enabled_without_an_endpoint_is_refused(spoke_bin, tmp_path):
    from harness.spoke_process import clean_environment
    env = clean_environment()
    env.update({"SPOKE_PORT": str(free_port()), "SPOKE_HEALTH_PORT": str(free_port()),
                "SPOKE_FILESYSTEM_ROOT": str(tmp_path / "data"), "SPOKE_OTEL_ENABLED": "true"})
    rc, out, err = run_once(spoke_bin, env)
    assert rc != 0 and "SPOKE_OTEL_ENDPOINT: required when SPOKE_OTEL_ENABLED=true" in out + err
    env["SPOKE_OTEL_ENDPOINT"] = "collector:4318"
    rc, out, err = run_once(spoke_bin, env)
    assert rc != 0 and "is not an http(s):// URL" in out + err
