"""Primary failover under load: two Spoke instances on one database (PG_MULTI_URL + the standby as
replica); a burst of pushes through both; mid-burst the primary is killed with SIGKILL (the whole
instance: postmaster and backends), and a few seconds later the standby is promoted.

What a client must see:
- during the outage every push answers 503 UNAVAILABLE with Retry-After (never 500, never another
  status), and no request takes longer than SPOKE_REQUEST_TIMEOUT + slack;
- after the promotion, pushes succeed again through both instances within RECOVERY_BOUND_S of the
  promotion, without restarting Spoke;
- every push answered 201/200 is readable afterwards through both instances with its digest, and
  immediately after its acknowledgement through the other instance (404 is never acceptable; 503
  only while the primary is down);
- /health/live answers 200 throughout; /health/ready answers (with latency_ms) throughout.

Replication is made synchronous for the test database first: with services.sh's asynchronous
replication a commit acknowledged by the old primary could legitimately be missing on the
promoted standby, and "no acknowledged push is lost" could not be asked of Spoke."""

import threading
import time
from collections import Counter

import requests

from fault_settings import PG_TIMEOUT_S, REQUEST_TIMEOUT_S, postgres_env
from observe import (HealthMonitor, check_of, digest_of, push_body, timed, unavailable_problem,
                     unique_files, until_settled, wait_for)

THREADS = 4                # pusher threads; thread k pushes 1.0.N of module k
ACKS_BEFORE_KILL = 20      # acknowledged pushes before the primary dies
OUTAGE_S = 4.0             # the primary stays dead this long before the standby is promoted
RECOVERY_BOUND_S = 15.0    # from the end of promotion to a 201/200 through each instance
ACKS_AFTER_RECOVERY = 6    # per instance, after recovery, before the burst stops
SLACK_S = 1.5
CLIENT_TIMEOUT_S = REQUEST_TIMEOUT_S + 10  # a request still open then counts as a hang
RETRY_PAUSE_S = 0.2


class Burst:
    """THREADS pushers, each retrying its current version (identical content) until it is
    acknowledged, alternating the instance on every attempt."""

    def __init__(self, instances, modules):
        self.instances = instances
        self.modules = modules
        self.attempts = []      # dicts, one per push attempt
        self.readbacks = []     # dicts, one per GET through the other instance after an ack
        self.acked = {}         # (module, version) -> (digest, files)
        self.unresolved = {}    # (module, version) -> files: tried, never acknowledged
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(THREADS)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        """Stops the burst; True when every pusher has finished."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout=CLIENT_TIMEOUT_S * 2 + 5)
        return not any(t.is_alive() for t in self.threads)

    def statuses(self):
        """How many attempts got each status (None: no answer), for failure messages."""
        with self.lock:
            return dict(Counter(a["status"] for a in self.attempts))

    def acks(self, since=None, instance=None):
        with self.lock:
            return [a for a in self.attempts if a["status"] in (200, 201) and
                    (since is None or a["started"] >= since) and (instance is None or a["instance"] == instance)]

    @staticmethod
    def _session(p):
        """A session with the instance's admin credential (pushes need one)."""
        s = requests.Session()
        s.headers.update(p.auth_headers())
        return s

    def _run(self, k):
        module = self.modules[k]
        sessions = [self._session(p) for p in self.instances]
        n, attempt = 0, 0
        while not self.stop.is_set():
            version = f"1.0.{n}"
            files = unique_files(f"{module}_{n}", count=2)
            tries = 0
            while not self.stop.is_set():
                which = attempt % len(self.instances)
                attempt += 1
                tries += 1
                p = self.instances[which]
                o = timed(sessions[which].post, f"{p.url}/modules/{module}/versions",
                          json=push_body(version, files), timeout=CLIENT_TIMEOUT_S)
                body = o.json() if o.response is not None else None
                record = {"module": module, "version": version, "instance": p.name, "try": tries,
                          "started": o.started, "ended": o.ended, "status": o.status, "outcome": o,
                          "digest": body.get("digest") if isinstance(body, dict) else None}
                with self.lock:
                    self.attempts.append(record)
                if o.status in (200, 201):
                    with self.lock:
                        self.acked[(module, version)] = (record["digest"], files)
                        self.unresolved.pop((module, version), None)
                    self._read_back(sessions, which, module, version)
                    break
                with self.lock:
                    self.unresolved[(module, version)] = files
                if o.response is None:
                    sessions[which] = self._session(p)  # drop a connection in an unknown state
                self.stop.wait(RETRY_PAUSE_S)
            n += 1

    def _read_back(self, sessions, acked_on, module, version):
        other = (acked_on + 1) % len(self.instances)
        p = self.instances[other]
        o = timed(sessions[other].get, f"{p.url}/modules/{module}/versions/{version}", timeout=CLIENT_TIMEOUT_S)
        body = o.json() if o.response is not None else None
        with self.lock:
            self.readbacks.append({"module": module, "version": version, "instance": p.name, "outcome": o,
                                   "digest": body.get("digest") if isinstance(body, dict) else None})


def test_primary_failover_keeps_acknowledged_pushes(services, database, spawn_spoke):
    services.require_synchronous_standby(database)
    env = postgres_env(services, database)
    a = spawn_spoke(env, name="spoke-a")
    b = spawn_spoke(env, name="spoke-b")
    instances = [a, b]
    modules = [f"failover-{k}" for k in range(THREADS)]
    for p in instances:
        p.auth_headers()  # each instance's admin token, made while the primary is up
    for m in modules:
        r = requests.post(f"{a.url}/modules", json={"name": m}, headers=a.auth_headers(), timeout=CLIENT_TIMEOUT_S)
        assert r.status_code == 201, r.text

    burst = Burst(instances, modules)
    with HealthMonitor(instances, interval_s=0.25, timeout_s=CLIENT_TIMEOUT_S) as monitor:
        burst.start()
        try:
            wait_for(lambda: len(burst.acks()) >= ACKS_BEFORE_KILL, 60,
                     what=f"{ACKS_BEFORE_KILL} acknowledged pushes")
            t_kill = services.kill9(services.PRIMARY)
            time.sleep(OUTAGE_S)
            t_promote = time.monotonic()
            t_promoted = services.promote_standby()
            t_settled = t_promoted + RECOVERY_BOUND_S  # from here on, every push must succeed

            # Writes come back through each instance without restarting it.
            def first_acks():
                return {p.name: min(x["ended"] for x in acks) - t_promoted for p in instances
                        if (acks := burst.acks(since=t_promoted, instance=p.name))}
            recovered = first_acks()
            deadline = t_settled + CLIENT_TIMEOUT_S
            while len(recovered) < len(instances) and time.monotonic() < deadline:
                time.sleep(0.1)
                recovered = first_acks()
            for p in instances:
                assert p.name in recovered, \
                    f"no push acknowledged through {p.name} after the promotion; statuses {burst.statuses()}"
                assert recovered[p.name] <= RECOVERY_BOUND_S, \
                    f"{p.name} took {recovered[p.name]:.1f}s after the promotion to acknowledge a push"
            wait_for(lambda: all(len(burst.acks(since=t_promoted, instance=p.name)) >= ACKS_AFTER_RECOVERY
                                 for p in instances), RECOVERY_BOUND_S + 30, what="pushes after recovery")
        finally:
            finished = burst.join()
        assert finished, "pusher threads hung"
        # Readiness is back on both (checked before the monitor stops, so it saw the recovery).
        for p in instances:
            wait_for(lambda: requests.get(p.health_url + "/health/ready", timeout=10).status_code == 200,
                     RECOVERY_BOUND_S, what=f"{p.name} ready again")

    # --- what the clients saw ---------------------------------------------------------------------
    problems = []
    before_kill = [x for x in burst.attempts if x["ended"] < t_kill]
    assert len([x for x in before_kill if x["status"] in (200, 201)]) >= ACKS_BEFORE_KILL
    for x in before_kill:
        if x["status"] != 201:
            problems.append(f"before the kill: {x['module']} {x['version']} via {x['instance']}: "
                            f"{x['outcome'].describe()}")
    outage = [x for x in burst.attempts if x["started"] >= t_kill and x["ended"] <= t_promoted]
    if not any(x["status"] == 503 for x in outage):
        problems.append(f"none of the {len(outage)} pushes while the primary was down got 503")
    for x in burst.attempts:
        o = x["outcome"]
        where = f"{x['module']} {x['version']} try {x['try']} via {x['instance']}"
        if o.elapsed > REQUEST_TIMEOUT_S + SLACK_S:
            problems.append(f"{where}: took {o.elapsed:.2f}s (> SPOKE_REQUEST_TIMEOUT + {SLACK_S}s): {o.describe()}")
        if o.status == 201 or (o.status == 200 and x["try"] > 1):
            continue
        if o.status == 503 and o.ended >= t_kill and o.started <= t_settled:
            p = unavailable_problem(o)
            if p:
                problems.append(f"{where}: {p}")
            continue
        problems.append(f"{where}: {o.describe()}")
    for x in burst.attempts:
        if x["status"] in (200, 201):
            files = burst.acked[(x["module"], x["version"])][1]
            if x["digest"] != digest_of(files):
                problems.append(f"{x['module']} {x['version']}: acknowledged digest {x['digest']} is not "
                                f"{digest_of(files)}")

    # Read-your-writes across instances: a 404 is never right; a 503 only while the primary is down.
    for rb in burst.readbacks:
        o = rb["outcome"]
        where = f"read-back of {rb['module']} {rb['version']} via {rb['instance']}"
        if o.status == 200:
            if rb["digest"] != burst.acked[(rb["module"], rb["version"])][0]:
                problems.append(f"{where}: digest {rb['digest']} differs from the acknowledged one")
        elif o.status == 503 and o.ended >= t_kill and o.started <= t_settled:
            p = unavailable_problem(o)
            if p:
                problems.append(f"{where}: {p}")
        else:
            problems.append(f"{where}: {o.describe()}")
        if o.elapsed > REQUEST_TIMEOUT_S + SLACK_S:
            problems.append(f"{where}: took {o.elapsed:.2f}s")

    # Health: liveness throughout; readiness answered throughout, and saw the primary down.
    problems += monitor.live_problems(max_elapsed_s=1.0)
    problems += monitor.ready_problems(max_elapsed_s=PG_TIMEOUT_S + SLACK_S,
                                       required_checks=("postgres_primary", "postgres_replica_0"))
    for name, o in monitor.of("ready"):
        if o.response is not None and check_of(o, "postgres_primary").get("required") is not True:
            problems.append(f"{name}: postgres_primary is not required: {o.response.text[:200]}")
            break
    saw_down = {name for name, o in monitor.of("ready", since=t_kill, until=t_promote)
                if o.status == 503 and check_of(o, "postgres_primary").get("status") == "down"}
    if saw_down != {p.name for p in instances}:
        problems.append(f"only {sorted(saw_down)} reported postgres_primary down on /health/ready during "
                        f"the {OUTAGE_S}s outage")
    print(f"failover: {len(burst.attempts)} push attempts, {len(burst.acked)} acknowledged, "
          f"{sum(x['status'] == 503 for x in burst.attempts)} refused with 503; "
          f"recovered {', '.join(f'{n} {s:.1f}s' for n, s in sorted(recovered.items()))} after promotion")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])

    # --- nothing acknowledged was lost -------------------------------------------------------------
    # 503s are retried until t_settled (a loop may still hold an open breaker); then only 200/404 count.
    def get(s, url):
        return until_settled(lambda: s.get(url, timeout=CLIENT_TIMEOUT_S), t_settled)

    lost = []
    for p in instances:
        s = requests.Session()
        for (module, version), (digest, files) in sorted(burst.acked.items()):
            r = get(s, f"{p.url}/modules/{module}/versions/{version}")
            if r.status_code != 200:
                lost.append(f"{module} {version} via {p.name}: {r.status_code} {r.text[:200]}")
                continue
            v = r.json()
            if v["digest"] != digest or {f["path"]: f["content"] for f in v["files"]} != files:
                lost.append(f"{module} {version} via {p.name}: different digest or content")
        for (module, version), files in sorted(burst.unresolved.items()):
            # Never acknowledged (the burst stopped mid-retry): absent, or complete.
            r = get(s, f"{p.url}/modules/{module}/versions/{version}")
            if r.status_code == 200:
                if r.json()["digest"] != digest_of(files):
                    lost.append(f"unacknowledged {module} {version} via {p.name} is stored inconsistently")
            elif r.status_code != 404:
                lost.append(f"unacknowledged {module} {version} via {p.name}: {r.status_code} {r.text[:200]}")
        for module in modules:
            r = get(s, f"{p.url}/modules/{module}/versions")
            assert r.status_code == 200, r.text
            listed = {x["version"] for x in r.json()}
            missing = {v for (m, v) in burst.acked if m == module} - listed
            if missing:
                lost.append(f"{module} via {p.name}: acknowledged versions missing from the listing: {sorted(missing)}")
    assert not lost, f"{len(lost)} acknowledged pushes lost or damaged:\n" + "\n".join(lost[:40])
    assert len(burst.acked) >= ACKS_BEFORE_KILL + 2 * ACKS_AFTER_RECOVERY
