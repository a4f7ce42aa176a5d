"""S3 becomes unreachable while PostgreSQL is fine, in two ways (each on its own server and
database): every S3 process SIGSTOPped (connections hang until SPOKE_S3_TIMEOUT), and S3 killed
with SIGKILL (connections refused) and later started again on the same port and data.

What a client must see:
- pushes of new content answer 503 UNAVAILABLE with Retry-After, each within
  PUSH_BOUND_S = 2 * SPOKE_S3_TIMEOUT * S3_ATTEMPTS + slack (at most a HEAD and a PUT, each retried up to
  S3_ATTEMPTS times); once every loop's s3 breaker is open (/metrics), each within OPEN_BOUND_S;
- /metrics has one spoke_breaker_state line for s3 per loop, and they go to 1 (open);
- /health/ready answers 503 with checks.s3 "down"; /health/live stays 200;
- a version read before the outage is still readable during it (its files are cached);
- once S3 is back, pushes succeed again within SPOKE_BREAKER_OPEN_DURATION + RECOVERY_SLACK_S,
  and every loop's s3 breaker returns to 0 (closed);
- no push answered 201 is lost, and no push answered 503 left a half-stored version."""

import contextlib
import threading
import time

import requests

from fault_settings import S3_TIMEOUT_S, postgres_env, seconds
from observe import (CLOSED, OPEN, HealthMonitor, breaker_states, check_of, digest_of, fresh_request,
                     gauges_of, push_body, unavailable_problem, unique_files, wait_for)

LOOPS = 2
S3_ATTEMPTS = 3               # S3ObjectStore's retry policy: tries per S3 request
SLACK_S = 1.0
PUSH_BOUND_S = 2 * S3_TIMEOUT_S * S3_ATTEMPTS + SLACK_S
OPEN_BOUND_S = 0.2            # a push refused by an open breaker
OPEN_S = 10.0                 # SPOKE_BREAKER_OPEN_DURATION here: long enough to measure refusals
REQUEST_TIMEOUT_S = 10.0      # above PUSH_BOUND_S, so the S3 deadlines are what is tested
RECOVERY_SLACK_S = 10.0
BATCH = 6                     # concurrent pushes per round while tripping the breakers
FAST_PUSHES = 5
TRIP_BOUND_S = 20.0           # rounds of BATCH pushes until every loop's breaker is open


class GaugePoller:
    """Scrapes the s3 breaker gauges every 100 ms; remembers, per loop, the last time it saw the
    breaker not open and the first time it saw it open (the breaker opened in between)."""

    def __init__(self, p):
        self.p = p
        self.samples = []  # (t, {owner: state})
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self):
        while not self._stop.is_set():
            t = time.monotonic()
            try:
                self.samples.append((t, gauges_of(breaker_states(self.p.health_url), "s3")))
            except (requests.RequestException, AssertionError) as e:
                self.errors.append(f"/metrics at +{t:.1f}: {e!r}")
            self._stop.wait(0.1)

    def latest(self):
        return self.samples[-1][1] if self.samples else {}

    def opened_after(self, owner):
        """Last time the owner's breaker was seen not open before it was first seen open."""
        before = None
        for t, g in self.samples:
            if g.get(owner) == OPEN:
                return before
            before = t
        return None


def concurrent_pushes(p, module, versions):
    """One push per version at once, each on its own connection; returns {version: (Outcome, files)}."""
    out = {}
    auth = p.auth_headers()

    def go(v):
        files = unique_files(f"{module}_{v}")
        out[v] = (fresh_request("POST", f"{p.url}/modules/{module}/versions", REQUEST_TIMEOUT_S + 10,
                                json=push_body(v, files), headers=auth), files)

    threads = [threading.Thread(target=go, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S + 20)
    assert len(out) == len(versions), "push threads hung"
    return out


def s3_outage(services, spawn_spoke, database, module, inflict, restore):
    p = spawn_spoke(postgres_env(services, database, SPOKE_THREADS=LOOPS,
                                 SPOKE_BREAKER_OPEN_DURATION=seconds(OPEN_S),
                                 SPOKE_REQUEST_TIMEOUT=seconds(REQUEST_TIMEOUT_S),
                                 SPOKE_LISTENER="reuseport"))
    assert fresh_request("POST", f"{p.url}/modules", 15, json={"name": module},
                         headers=p.auth_headers()).status == 201
    before = unique_files(f"{module}_before", count=2)
    o = fresh_request("POST", f"{p.url}/modules/{module}/versions", 15, json=push_body("1.0.0", before),
                      headers=p.auth_headers())
    assert o.status == 201, o.describe()
    acked = {"1.0.0": (o.json()["digest"], before)}
    refused = {}  # version -> files of pushes answered 503
    reader = requests.Session()  # reads 1.0.0 now, so its files are cached for the outage
    r = reader.get(f"{p.url}/modules/{module}/versions/1.0.0", timeout=15)
    assert r.status_code == 200, r.text

    gauges = gauges_of(breaker_states(p.health_url), "s3")
    assert len(gauges) == LOOPS, f"expected one s3 breaker gauge per loop ({LOOPS}), got {gauges}"
    assert set(gauges.values()) == {CLOSED}, gauges
    problems = []

    restored = []

    def restore_once():
        if not restored:
            restored.append(restore())
        return restored[0]

    with HealthMonitor([p], timeout_s=15) as monitor, GaugePoller(p) as poller, contextlib.ExitStack() as undo:
        t_fault = inflict()
        undo.callback(restore_once)  # S3 comes back for the next test even if an assertion fails

        # Trip every loop's breaker with rounds of concurrent pushes of new content.
        rnd = 0
        deadline = time.monotonic() + TRIP_BOUND_S
        while set(poller.latest().values()) != {OPEN}:
            assert time.monotonic() < deadline, f"s3 breakers never all opened: {poller.latest()}"
            for v, (o, files) in concurrent_pushes(p, module, [f"2.{rnd}.{k}" for k in range(BATCH)]).items():
                refused[v] = files
                problem = unavailable_problem(o)
                if problem or o.elapsed > PUSH_BOUND_S:
                    problems.append(f"push {v} with S3 down: {problem or o.describe()} (bound {PUSH_BOUND_S}s)")
            rnd += 1
            time.sleep(0.3)  # let the poller see the latest state
        assert not problems, "\n".join(problems[:40])

        # Every breaker is open: refusals are immediate, until the first one's period may end.
        window_end = min(poller.opened_after(owner) or 0 for owner in gauges) + OPEN_S - 1.0
        fast, slowest_fast = 0, 0.0
        for k in range(FAST_PUSHES):
            if time.monotonic() >= window_end:
                break
            files = unique_files(f"{module}_fast_{k}")
            o = fresh_request("POST", f"{p.url}/modules/{module}/versions", 15, json=push_body(f"3.0.{k}", files),
                              headers=p.auth_headers())
            refused[f"3.0.{k}"] = files
            problem = unavailable_problem(o)
            if problem or o.elapsed > OPEN_BOUND_S:
                problems.append(f"push 3.0.{k} with every s3 breaker open: {problem or o.describe()} "
                                f"(bound {OPEN_BOUND_S}s)")
            fast += 1
            slowest_fast = max(slowest_fast, o.elapsed)
        assert fast >= 3, f"only {fast} pushes fitted in the open window; the breakers opened too far apart"
        print(f"breakers all open {time.monotonic() - t_fault:.1f}s after the fault ({rnd} rounds of {BATCH}); "
              f"{fast} pushes refused by open breakers, slowest {slowest_fast * 1000:.0f}ms")

        # Readiness names S3 down; the version read before the outage is still served.
        down = wait_for(lambda: (lambda o: o if o.status == 503 and check_of(o, "s3").get("status") == "down"
                                 else None)(fresh_request("GET", p.health_url + "/health/ready", 15)),
                        10, what="/health/ready 503 with s3 down")
        body = down.json()
        if body.get("status") != "not_ready" or check_of(down, "s3").get("required") is not True:
            problems.append(f"/health/ready with S3 down: {down.response.text[:400]}")
        if down.elapsed > S3_TIMEOUT_S + SLACK_S:
            problems.append(f"/health/ready took {down.elapsed:.2f}s with S3 down")
        r = reader.get(f"{p.url}/modules/{module}/versions/1.0.0", timeout=15)
        if r.status_code != 200 or r.json()["digest"] != acked["1.0.0"][0]:
            problems.append(f"cached version 1.0.0 during the outage: {r.status_code} {r.text[:300]}")

        # S3 back: pushes succeed again (after the open period at the latest), breakers close.
        t_restored = restore_once()
        k = 0
        recovered_at = None
        while True:
            version = f"4.0.{k}"
            files = unique_files(f"{module}_after_{k}")
            o = fresh_request("POST", f"{p.url}/modules/{module}/versions", REQUEST_TIMEOUT_S + 10,
                              json=push_body(version, files), headers=p.auth_headers())
            k += 1
            if o.status == 201:
                acked[version] = (o.json()["digest"], files)
                recovered_at = recovered_at or time.monotonic()
                if set(poller.latest().values()) == {CLOSED}:
                    break
            else:
                refused[version] = files
                problem = unavailable_problem(o)
                if problem:
                    problems.append(f"push {version} after S3 came back: {problem}")
            if time.monotonic() > t_restored + OPEN_S + RECOVERY_SLACK_S + 10:
                break
            time.sleep(0.25)
        print(f"first push acknowledged {recovered_at - t_restored if recovered_at else -1:.1f}s after S3 came back; "
              f"{k} pushes until every breaker closed")
        assert recovered_at is not None, \
            f"no push succeeded within {OPEN_S + RECOVERY_SLACK_S + 10:.0f}s of S3's return"
        assert recovered_at - t_restored <= OPEN_S + RECOVERY_SLACK_S, \
            f"pushes succeeded again only {recovered_at - t_restored:.1f}s after S3 came back"
        wait_for(lambda: set(poller.latest().values()) == {CLOSED}, 5,
                 what=f"every s3 breaker back at 0 (last: {poller.latest()})")
        wait_for(lambda: fresh_request("GET", p.health_url + "/health/ready", 15).status == 200, 10,
                 what="/health/ready 200 after S3 came back")

    assert not poller.errors, "\n".join(poller.errors[:10])
    seen_open = {owner for _, g in poller.samples for owner, v in g.items() if v == OPEN}
    assert seen_open == set(gauges), f"s3 breakers seen open: {sorted(seen_open)}"
    problems += monitor.live_problems(1.0)
    problems += monitor.ready_problems(S3_TIMEOUT_S + SLACK_S, ("postgres_primary", "s3"))
    assert not problems, "\n".join(problems[:40])
    assert t_fault < t_restored

    # Nothing acknowledged is lost; nothing refused is half there.
    for v, (digest, files) in acked.items():
        o = fresh_request("GET", f"{p.url}/modules/{module}/versions/{v}", 15)
        assert o.status == 200, f"acknowledged {v}: {o.describe()}"
        got = o.json()
        assert got["digest"] == digest == digest_of(files)
        assert {f["path"]: f["content"] for f in got["files"]} == files
    for v, files in refused.items():
        o = fresh_request("GET", f"{p.url}/modules/{module}/versions/{v}", 15)
        if o.status == 200:
            assert {f["path"]: f["content"] for f in o.json()["files"]} == files, f"refused {v} is damaged"
        else:
            assert o.status == 404, f"refused {v}: {o.describe()}"
    listed = {x["version"] for x in requests.get(f"{p.url}/modules/{module}/versions", timeout=15).json()}
    assert set(acked) <= listed


def test_frozen_s3_fails_fast_and_recovers(services, database, spawn_spoke):
    s3_outage(services, spawn_spoke, database, "s3-frozen",
              inflict=lambda: services.freeze(services.S3),
              restore=lambda: services.thaw(services.S3))


def test_killed_s3_fails_fast_and_recovers(services, database, spawn_spoke):
    s3_outage(services, spawn_spoke, database, "s3-killed",
              inflict=lambda: services.kill9(services.S3),
              restore=services.restart_s3)
