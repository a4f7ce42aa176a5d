"""The primary fails and nothing takes over (no replica configured, no promotion). With
SPOKE_THREADS=2 and several requests in flight at once:
- API requests that need the database answer 503 UNAVAILABLE with Retry-After within
  SPOKE_POSTGRES_TIMEOUT + slack;
- both loops keep answering meanwhile (requests that need no database answer at once);
- /health/live stays 200; /health/ready answers 503 naming postgres_primary down (required);
- /metrics keeps answering.

Two ways, in this order: every primary process SIGSTOPped (connections hang; after SIGCONT the
server recovers by itself), then the primary killed with SIGKILL (connections refused)."""

import threading
import time

from fault_settings import BREAKER_OPEN_S, PG_TIMEOUT_S, postgres_env
from observe import (HealthMonitor, check_of, digest_of, fresh_request, push_body, unavailable_problem,
                     unique_files, until_settled, wait_for)

LOOPS = 2
WAVE = 8                          # concurrent API requests per wave
SLACK_S = 1.5
BOUND_S = PG_TIMEOUT_S + SLACK_S  # per API request while the primary is down
QUICK_S = 0.5                     # a request that needs no database, while others wait on it
READY_REPORT_S = 2 * PG_TIMEOUT_S + 5
RECOVERY_BOUND_S = BREAKER_OPEN_S + PG_TIMEOUT_S + 10


def wave(p, module, tag):
    """WAVE requests at once, each on its own connection: pushes, module creations, and reads of
    modules that do not exist (which only the database can answer). While they are in flight,
    requests that need no database are sent to both ports. Returns (problems, refused pushes)."""
    results = {}
    refused = {}
    auth = p.auth_headers()  # made in start(), while the database was up

    def go(k):
        kind = k % 3
        if kind == 0:
            files = unique_files(f"{module}_{tag}_{k}")
            version = f"9.{tag}.{k}"
            refused[version] = files
            o = fresh_request("POST", f"{p.url}/modules/{module}/versions", 30, json=push_body(version, files),
                              headers=auth)
        elif kind == 1:
            o = fresh_request("POST", f"{p.url}/modules", 30, json={"name": f"{module}-new-{tag}-{k}"},
                              headers=auth)
        else:
            o = fresh_request("GET", f"{p.url}/modules/{module}-absent-{tag}-{k}", 30)
        results[k] = o

    threads = [threading.Thread(target=go, args=(k,)) for k in range(WAVE)]
    for t in threads:
        t.start()
    problems = []
    time.sleep(0.3)  # the wave is now waiting on the database
    for k in range(2 * LOOPS):
        # An unknown route is answered by the loop itself: proves the loop is not blocked.
        o = fresh_request("GET", f"{p.url}/no-such-route-{k}", 10)
        if o.status != 404 or o.elapsed > QUICK_S:
            problems.append(f"unknown route while requests wait on the database: {o.describe()}")
    for path in ("/health/live", "/metrics"):
        o = fresh_request("GET", p.health_url + path, 10)
        if o.status != 200 or o.elapsed > QUICK_S:
            problems.append(f"{path} while requests wait on the database: {o.describe()}")
    for t in threads:
        t.join(timeout=40)
    assert len(results) == WAVE, "request threads hung"
    print(f"wave {tag}: statuses {sorted(o.status for o in results.values())}, "
          f"slowest {max(o.elapsed for o in results.values()):.2f}s")
    for k, o in sorted(results.items()):
        problem = unavailable_problem(o)
        if problem or o.elapsed > BOUND_S:
            problems.append(f"request {k} of wave {tag} (bound {BOUND_S}s): {problem or o.describe()}")
    return problems, refused


def primary_down_checks(p, module, monitor, t_fault):
    problems, refused = wave(p, module, 0)
    down = wait_for(lambda: (lambda o: o if o.status == 503 and
                             check_of(o, "postgres_primary").get("status") == "down" else None)(
        fresh_request("GET", p.health_url + "/health/ready", 30)), READY_REPORT_S,
        what="/health/ready 503 with postgres_primary down")
    primary = check_of(down, "postgres_primary")
    if down.json().get("status") != "not_ready" or primary.get("required") is not True or not primary.get("error"):
        problems.append(f"/health/ready with the primary down: {down.response.text[:400]}")
    # A second wave, now that breakers and health know: same answers.
    more, refused2 = wave(p, module, 1)
    problems += more
    refused.update(refused2)
    problems += monitor.live_problems(1.0)
    problems += monitor.ready_problems(BOUND_S, ("postgres_primary",))
    return problems, refused


def start(services, database, spawn_spoke, module):
    # Connections enough for a whole wave, so no request waits for a free one.
    p = spawn_spoke(postgres_env(services, database, primary_url=services.primary_url, replica=False,
                                 SPOKE_THREADS=LOOPS, SPOKE_POSTGRES_MAX_CONNS=2 * WAVE))
    assert fresh_request("POST", f"{p.url}/modules", 15, json={"name": module},
                         headers=p.auth_headers()).status == 201
    files = unique_files(f"{module}_seed")
    o = fresh_request("POST", f"{p.url}/modules/{module}/versions", 15, json=push_body("1.0.0", files),
                      headers=p.auth_headers())
    assert o.status == 201, o.describe()
    return p, {"1.0.0": (o.json()["digest"], files)}


def test_hung_primary_503_quickly_health_stays_live_then_recovers(services, database, spawn_spoke):
    module = "pg-hung"
    p, acked = start(services, database, spawn_spoke, module)
    with HealthMonitor([p], timeout_s=30) as monitor:
        t_fault = services.freeze(services.PRIMARY)
        try:
            problems, refused = primary_down_checks(p, module, monitor, t_fault)
        finally:
            t_thaw = services.thaw(services.PRIMARY)
        assert not problems, "\n".join(problems[:40])

        # Back by itself, without a restart.
        k = 0
        while True:
            files = unique_files(f"{module}_after_{k}")
            o = fresh_request("POST", f"{p.url}/modules/{module}/versions", 30, json=push_body(f"2.0.{k}", files),
                              headers=p.auth_headers())
            if o.status == 201:
                acked[f"2.0.{k}"] = (o.json()["digest"], files)
                break
            assert unavailable_problem(o) is None, o.describe()
            assert time.monotonic() - t_thaw < RECOVERY_BOUND_S, f"no push succeeded {RECOVERY_BOUND_S}s after SIGCONT"
            refused[f"2.0.{k}"] = files
            k += 1
            time.sleep(0.25)
        print(f"first push acknowledged {time.monotonic() - t_thaw:.1f}s after SIGCONT")
        wait_for(lambda: fresh_request("GET", p.health_url + "/health/ready", 30).status == 200,
                 RECOVERY_BOUND_S, what="/health/ready 200 after SIGCONT")
    assert not monitor.live_problems(1.0), monitor.live_problems(1.0)

    # Every loop is back by t_settled (503s until then are retried: a loop that saw no traffic since
    # the outage may still hold an open breaker).
    t_settled = t_thaw + RECOVERY_BOUND_S

    def get(path):
        return until_settled(lambda: fresh_request("GET", p.url + path, 15), t_settled)

    for v, (digest, files) in acked.items():
        o = get(f"/modules/{module}/versions/{v}")
        assert o.status == 200 and o.json()["digest"] == digest == digest_of(files), o.describe()
    for v, files in refused.items():
        # A refused push may still have committed (the statement was already in the frozen
        # server's socket); then it is complete.
        o = get(f"/modules/{module}/versions/{v}")
        assert o.status in (200, 404), f"refused {v}: {o.describe()}"
        if o.status == 200:
            assert o.json()["digest"] == digest_of(files), f"refused {v} is stored inconsistently"


def test_killed_primary_503_quickly_health_stays_live(services, database, spawn_spoke):
    module = "pg-killed"
    p, _ = start(services, database, spawn_spoke, module)
    with HealthMonitor([p], timeout_s=30) as monitor:
        t_fault = services.kill9(services.PRIMARY)
        problems, _ = primary_down_checks(p, module, monitor, t_fault)
    assert not problems, "\n".join(problems[:40])
    assert p.running(), "spoke-server exited while the primary was down"
