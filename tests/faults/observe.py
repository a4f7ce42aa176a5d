"""What a client of Spoke sees during a fault: timed requests, error-shape checks, the breaker
gauges of /metrics, and HealthMonitor, which polls /health/live and /health/ready of several
instances in the background for the whole fault."""

import re
import threading
import time
import uuid

import requests

from harness.spoke_api import expected_digest, files_list, proto

BREAKER_LINE = re.compile(r'^spoke_breaker_state\{dependency="([^"]+)",owner="([^"]+)"\}\s+(\S+)$', re.M)
CLOSED, OPEN, HALF_OPEN = 0, 1, 2


class Outcome:
    """One HTTP exchange: status/body/headers, or the exception; with start time and duration."""

    def __init__(self, started, elapsed, response=None, error=None):
        self.started = started
        self.elapsed = elapsed
        self.ended = started + elapsed
        self.response = response
        self.error = error

    @property
    def status(self):
        return self.response.status_code if self.response is not None else None

    def json(self):
        try:
            return self.response.json()
        except ValueError:
            return None

    def describe(self):
        if self.response is None:
            return f"no answer after {self.elapsed:.2f}s: {self.error!r}"
        return f"{self.status} after {self.elapsed:.2f}s: {self.response.text[:300]}"


def timed(fn, *args, **kwargs):
    """Runs one request; never raises for transport errors (they land in Outcome.error)."""
    t0 = time.monotonic()
    try:
        r = fn(*args, **kwargs)
        return Outcome(t0, time.monotonic() - t0, response=r)
    except requests.RequestException as e:
        return Outcome(t0, time.monotonic() - t0, error=e)


def fresh_request(method, url, timeout_s, **kwargs):
    """A request on a new connection, so that consecutive requests spread over the server's loops."""
    headers = dict(kwargs.pop("headers", {}) or {})
    headers["Connection"] = "close"
    return timed(requests.request, method, url, timeout=timeout_s, headers=headers, **kwargs)


def until_settled(request, settled_at, pause_s=0.2):
    """Runs request() (returning an Outcome or a Response) again while it answers 503 and the
    time is before settled_at: until then a loop that saw no traffic since an outage may still
    hold an open breaker. Returns the last answer."""
    while True:
        answer = request()
        status = answer.status if isinstance(answer, Outcome) else answer.status_code
        if status != 503 or time.monotonic() >= settled_at:
            return answer
        time.sleep(pause_s)


def unavailable_problem(outcome):
    """None if the outcome is the documented dependency-outage answer: 503, JSON
    {"error": str, "code": "UNAVAILABLE"}, Retry-After in whole seconds. Else what is wrong."""
    if outcome.response is None:
        return f"expected 503, got {outcome.describe()}"
    r = outcome.response
    if r.status_code != 503:
        return f"expected 503, got {outcome.describe()}"
    body = outcome.json()
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or not body["error"]:
        return f"503 without an error message: {r.text[:300]}"
    if body.get("code") != "UNAVAILABLE":
        return f"503 with code {body.get('code')!r}, expected UNAVAILABLE: {r.text[:300]}"
    retry_after = r.headers.get("Retry-After")
    if retry_after is None or not retry_after.isdigit():
        return f"503 without a Retry-After in seconds (got {retry_after!r})"
    if not r.headers.get("Content-Type", "").startswith("application/json"):
        return f"503 with Content-Type {r.headers.get('Content-Type')!r}"
    return None


def breaker_states(health_url, timeout_s=5.0):
    """{(dependency, owner): state} from /metrics; raises if /metrics does not answer 200."""
    r = requests.get(health_url + "/metrics", timeout=timeout_s, headers={"Connection": "close"})
    assert r.status_code == 200, f"/metrics answered {r.status_code}"
    return {(d, o): int(float(v)) for d, o, v in BREAKER_LINE.findall(r.text)}


def gauges_of(states, dependency):
    """{owner: state} of the API loops' breakers for dependency (owners loop0, loop1, ...; other
    owners, such as a health checker's own connections, are left out)."""
    return {owner: v for (d, owner), v in states.items() if d == dependency and re.fullmatch(r"loop\d+", owner)}


def unique_files(tag, count=1):
    """count .proto files whose contents were never pushed before (new S3 objects)."""
    salt = uuid.uuid4().hex
    pkg = "faults." + re.sub(r"[^a-z0-9]", "_", tag.lower())
    return {f"faults/{re.sub(r'[^a-z0-9]', '_', tag.lower())}_{k}.proto":
            proto(pkg, f"// {salt}\nmessage M{k} {{ string v = 1; }}") for k in range(count)}


def push_body(version, files):
    return {"version": version, "files": files_list(files)}


def digest_of(files):
    return expected_digest(files)


class HealthMonitor:
    """Polls /health/live and /health/ready of each instance every `interval_s` on fresh
    connections and keeps every answer (or transport error) with its time."""

    def __init__(self, instances, interval_s=0.25, timeout_s=10.0):
        self.instances = list(instances)  # SpokeProcess objects
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.samples = []  # (instance name, "live"|"ready", Outcome)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []

    def __enter__(self):
        for p in self.instances:
            for kind in ("live", "ready"):
                t = threading.Thread(target=self._poll, args=(p, kind), daemon=True)
                t.start()
                self._threads.append(t)
        return self

    def __exit__(self, exc_type, *exc):
        hung = self.stop()
        # An assertion here would hide the exception that is already on its way.
        assert exc_type is not None or not hung, "health monitor threads hung"

    def stop(self):
        """Stops polling; True if a poller is still stuck in a request."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.timeout_s + 5)
        return any(t.is_alive() for t in self._threads)

    def _poll(self, p, kind):
        url = f"{p.health_url}/health/{kind}"
        while not self._stop.is_set():
            o = fresh_request("GET", url, self.timeout_s)
            with self._lock:
                self.samples.append((p.name, kind, o))
            self._stop.wait(self.interval_s)

    def of(self, kind, since=None, until=None):
        with self._lock:
            return [(n, o) for n, k, o in self.samples if k == kind and
                    (since is None or o.started >= since) and (until is None or o.started <= until)]

    def live_problems(self, max_elapsed_s):
        """Every liveness answer must be 200 {"status": "ok"}-style and quick."""
        out = []
        for name, o in self.of("live"):
            if o.status != 200 or o.elapsed > max_elapsed_s:
                out.append(f"{name} /health/live: {o.describe()}")
        return out

    def ready_problems(self, max_elapsed_s, required_checks):
        """Every readiness answer must come within max_elapsed_s as 200/503 JSON naming each of
        required_checks with a status and an integer latency_ms."""
        out = []
        for name, o in self.of("ready"):
            if o.response is None or o.status not in (200, 503) or o.elapsed > max_elapsed_s:
                out.append(f"{name} /health/ready: {o.describe()}")
                continue
            problem = ready_body_problem(o, required_checks)
            if problem:
                out.append(f"{name} /health/ready: {problem}")
        return out


def ready_body_problem(outcome, checks):
    body = outcome.json()
    if not isinstance(body, dict) or body.get("status") not in ("ready", "degraded", "not_ready", "draining"):
        return f"unexpected body {outcome.response.text[:300]}"
    expected_status = 200 if body["status"] in ("ready", "degraded") else 503
    if outcome.status != expected_status:
        return f"status {body['status']!r} answered with HTTP {outcome.status}"
    for name in checks:
        c = body.get("checks", {}).get(name)
        if not isinstance(c, dict):
            return f"no check {name!r} in {outcome.response.text[:300]}"
        if c.get("status") not in ("up", "down"):
            return f"check {name} has status {c.get('status')!r}"
        if not isinstance(c.get("latency_ms"), int) or c["latency_ms"] < 0:
            return f"check {name} has latency_ms {c.get('latency_ms')!r}"
        if not isinstance(c.get("required"), bool):
            return f"check {name} has required {c.get('required')!r}"
    return None


def check_of(outcome, name):
    body = outcome.json() or {}
    return (body.get("checks") or {}).get(name) or {}


def wait_for(predicate, timeout_s, interval_s=0.1, what="condition"):
    """Polls predicate() until it returns something truthy; returns it. Fails at the deadline."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        last = predicate()
        if last:
            return last
        assert time.monotonic() < deadline, f"timed out after {timeout_s}s waiting for {what}"
        time.sleep(interval_s)
