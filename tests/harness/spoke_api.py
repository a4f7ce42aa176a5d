"""SpokeClient and helpers: build push bodies, compute expected digests, assert error responses."""

import hashlib
import itertools
import json
import os
import re
import time

import requests

TIMEOUT_S = 15.0
RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

_counter = itertools.count(1)


def unique(prefix="m"):
    """A module name unique in this pytest run (valid: lowercase, digits, '-')."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def expected_digest(files, dependencies=()):
    """The version digest as documented in registry/digest.hpp: files sorted by path, then sorted deps."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(b"file\0" + path.encode() + b"\0" + sha256_hex(files[path]).encode() + b"\n")
    for dep in sorted(dependencies):
        h.update(b"dep\0" + dep.encode() + b"\n")
    return "sha256:" + h.hexdigest()


def proto(package, body="", imports=()):
    lines = ['syntax = "proto3";', f"package {package};"]
    lines += [f'import "{i}";' for i in imports]
    lines.append(body)
    return "\n".join(lines) + "\n"


def files_list(files):
    """{path: content} -> [{path, content}] in the given order."""
    return [{"path": p, "content": c} for p, c in files.items()]


class SpokeClient:
    def __init__(self, base_url, token=None):
        self.base = base_url
        self.session = requests.Session()
        self.token = token
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self):
        self.session.close()

    def request(self, method, path, **kw):
        kw.setdefault("timeout", TIMEOUT_S)
        return self.session.request(method, self.base + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def create_module(self, name, description=None):
        body = {"name": name}
        if description is not None:
            body["description"] = description
        return self.post("/modules", json=body)

    def new_module(self, prefix="m", description=None):
        name = unique(prefix)
        r = self.create_module(name, description)
        assert r.status_code == 201, (r.status_code, r.text)
        return name

    def push(self, module, version, files, dependencies=None, source_info=None):
        body = {"version": version, "files": files_list(files) if isinstance(files, dict) else files}
        if dependencies is not None:
            body["dependencies"] = dependencies
        if source_info is not None:
            body["source_info"] = source_info
        return self.post(f"/modules/{module}/versions", json=body)

    def push_ok(self, module, version, files, dependencies=None, status=201):
        r = self.push(module, version, files, dependencies)
        assert r.status_code == status, (r.status_code, r.text)
        return r.json()

    def post_raw(self, path, data, content_type="application/json"):
        return self.post(path, data=data, headers={"Content-Type": content_type})

    def all_modules(self):
        """Every module, paging with limit=100; also returns X-Total-Count of the first page."""
        out, offset, total = [], 0, None
        while True:
            r = self.get("/modules", params={"limit": 100, "offset": offset})
            assert r.status_code == 200, (r.status_code, r.text)
            if total is None:
                total = int(r.headers["X-Total-Count"])
            page = r.json()
            out.extend(page)
            offset += len(page)
            if not page or offset >= total:
                return out, total

    def versions(self, module):
        r = self.get(f"/modules/{module}/versions")
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()


def assert_json(r):
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), f"Content-Type {ctype!r} for {r.status_code} {r.text[:200]}"
    return r.json()


def assert_error(r, status, code=None):
    """The response is `status` with an error body {error, code, details?}; returns the body."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    body = assert_json(r)
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    assert set(body) <= {"error", "code", "details", "retry_after"}, f"unexpected fields in error body: {body}"
    assert r.headers.get("X-Request-Id"), "error response without X-Request-Id"
    # Never a filesystem path or a stack trace in a response.
    assert "/tmp/" not in r.text and "Traceback" not in r.text and "std::" not in r.text, r.text
    return body


def assert_version_summary(s, module, version, files, dependencies=()):
    """A VersionSummary exactly as expected for the pushed `files` ({path: content}). A push reply
    also carries its lint `warnings` (a list); a stored summary does not."""
    assert set(s) - {"warnings"} == {"module_name", "version", "digest", "created_at", "dependencies",
                                     "source_info", "files"}, s
    assert isinstance(s.get("warnings", []), list), s
    assert s["module_name"] == module
    assert s["version"] == version
    assert DIGEST_RE.match(s["digest"]), s["digest"]
    assert s["digest"] == expected_digest(files, dependencies)
    assert RFC3339_MS.match(s["created_at"]), s["created_at"]
    assert s["dependencies"] == sorted(dependencies)
    expected_files = [{"path": p, "sha256": sha256_hex(files[p]), "size": len(files[p].encode("utf-8"))}
                      for p in sorted(files)]
    assert s["files"] == expected_files


def dumps(obj):
    return json.dumps(obj).encode("utf-8")


_METRIC_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
_METRIC_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape_metrics(health_client):
    """GET /metrics parsed: {(name, ((label, value), ...) sorted): float}."""
    r = health_client.get("/metrics")
    assert r.status_code == 200, r.text
    samples = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _METRIC_SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = tuple(sorted(_METRIC_LABEL.findall(m.group(3) or "")))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def metric(samples, name, **labels):
    """One sample of scrape_metrics' result (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_redis_up(server, timeout_s=15.0):
    """Until the server's /health/ready says redis is up (the channel subscribed and delivering)."""
    deadline = time.monotonic() + timeout_s
    body = None
    while time.monotonic() < deadline:
        body = requests.get(server.health_url + "/health/ready", timeout=5).json()
        if body["checks"].get("redis", {}).get("status") == "up":
            return body
        time.sleep(0.05)
    raise AssertionError(f"redis not up on {server.name}: {body}")
