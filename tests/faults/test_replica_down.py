"""The read replica fails; the primary is fine. Reads (a version, the version list, the module list,
a module) keep answering 200 from the primary, pushes keep succeeding, and /health/ready stays 200
with postgres_replica_0 reported "down" and required false.

Two ways the replica fails, in this order (the second one ends the standby for this file):
- hung: every standby process is SIGSTOPped, so connections to it hang; each request must still
  answer within SPOKE_POSTGRES_TIMEOUT + slack; after SIGCONT the replica is reported up again;
- killed: the standby instance is killed with SIGKILL (connections refused).

The primary is configured as PG_PRIMARY_URL alone: PG_MULTI_URL lists the standby first, and
libpq would spend the whole connect deadline on a hung standby before trying the primary."""

import time

from backing_services import database_url, psql
from fault_settings import PG_TIMEOUT_S, postgres_env
from observe import (HealthMonitor, check_of, digest_of, fresh_request, push_body, unique_files, wait_for)

SLACK_S = 1.5
BOUND_S = PG_TIMEOUT_S + SLACK_S   # per request while the replica is failing
ROUNDS = 4                         # read rounds, each on fresh connections (spread over loops)
REPORT_BOUND_S = 10.0              # until /health/ready names the replica down (or up again)


def push(p, module, version):
    files = unique_files(f"{module}_{version}")
    o = fresh_request("POST", f"{p.url}/modules/{module}/versions", 15, json=push_body(version, files),
                      headers=p.auth_headers())
    return o, files


def seed(p, module, versions):
    o = fresh_request("POST", f"{p.url}/modules", 15, json={"name": module}, headers=p.auth_headers())
    assert o.status == 201, o.describe()
    acked = {}
    for v in versions:
        o, files = push(p, module, v)
        assert o.status == 201, o.describe()
        acked[v] = (o.json()["digest"], files)
    return acked


def read_problems(p, module, acked):
    """Reads every acknowledged version, the version list, the module list and the module, each on
    a fresh connection; returns what went wrong (status or time)."""
    problems = []

    def get(path, **kw):
        o = fresh_request("GET", p.url + path, 15, **kw)
        if o.elapsed > BOUND_S:
            problems.append(f"GET {path} took {o.elapsed:.2f}s (> {BOUND_S}s)")
        if o.status != 200:
            problems.append(f"GET {path}: {o.describe()}")
            return None
        return o.json()

    for v, (digest, files) in acked.items():
        body = get(f"/modules/{module}/versions/{v}")
        if body is not None and (body["digest"] != digest or
                                 {f["path"]: f["content"] for f in body["files"]} != files):
            problems.append(f"{module} {v}: different digest or content")
    listing = get(f"/modules/{module}/versions")
    if listing is not None and {x["version"] for x in listing} != set(acked):
        problems.append(f"version list {[x['version'] for x in listing]} != {sorted(acked)}")
    modules = get("/modules", params={"limit": 100})
    if modules is not None and module not in {m["name"] for m in modules}:
        problems.append(f"{module} missing from the module list")
    detail = get(f"/modules/{module}")
    if detail is not None and detail.get("version_count") != len(acked):
        problems.append(f"module detail says {detail.get('version_count')} versions, expected {len(acked)}")
    return problems


def replica_reported(p, status):
    """The /health/ready answer once it reports postgres_replica_0 with `status`, else None."""
    o = fresh_request("GET", p.health_url + "/health/ready", 15)
    c = check_of(o, "postgres_replica_0") if o.response is not None else {}
    return o if c.get("status") == status else None


def exercise_failed_replica(p, module, acked, monitor, t_fault):
    """Reads and pushes while the replica is failing, and what /health/ready says meanwhile."""
    problems = []
    for rnd in range(ROUNDS):
        problems += read_problems(p, module, acked)
        version = f"2.0.{rnd}"
        o, files = push(p, module, version)
        if o.status != 201 or o.elapsed > BOUND_S:
            problems.append(f"push {version} with the replica down: {o.describe()}")
        else:
            if o.json()["digest"] != digest_of(files):
                problems.append(f"push {version}: wrong digest")
            acked[version] = (o.json()["digest"], files)
    t_reads = time.monotonic() - t_fault
    down = wait_for(lambda: replica_reported(p, "down"), REPORT_BOUND_S,
                    what="/health/ready to report postgres_replica_0 down")
    print(f"{ROUNDS} read rounds and pushes took {t_reads:.1f}s; replica reported down "
          f"{down.ended - t_fault:.1f}s after the fault")
    if down.status != 200:
        problems.append(f"/health/ready with only the replica down: {down.describe()}")
    replica = check_of(down, "postgres_replica_0")
    if down.json().get("status") != "degraded":
        problems.append(f"/health/ready with only the replica down is not 'degraded': {down.response.text[:300]}")
    if replica.get("required") is not False:
        problems.append(f"postgres_replica_0 is not marked required=false: {replica}")
    if check_of(down, "postgres_primary").get("status") != "up":
        problems.append(f"postgres_primary not up while only the replica is down: {down.response.text[:300]}")
    # A few more rounds now that the server knows; still all 200 from the primary.
    problems += read_problems(p, module, acked)
    for name, o in monitor.of("ready", since=t_fault):
        if o.status != 200:
            problems.append(f"{name} /health/ready with the replica down: {o.describe()}")
    problems += monitor.ready_problems(BOUND_S, ("postgres_primary", "postgres_replica_0"))
    problems += monitor.live_problems(1.0)
    return problems


def test_hung_replica_reads_and_pushes_go_to_the_primary(services, database, spawn_spoke):
    p = spawn_spoke(postgres_env(services, database, primary_url=services.primary_url))
    module = "replica-hung"
    acked = seed(p, module, ["1.0.0", "1.0.1", "1.0.2"])
    assert not read_problems(p, module, acked)
    assert replica_reported(p, "up"), "replica not reported up before the fault"

    with HealthMonitor([p], timeout_s=15) as monitor:
        t_fault = services.freeze(services.STANDBY)
        try:
            problems = exercise_failed_replica(p, module, acked, monitor, t_fault)
        finally:
            services.thaw(services.STANDBY)
        assert not problems, "\n".join(problems[:40])

        # Back again: reported up, and reads (now possibly from the replica again) still right.
        wait_for(lambda: replica_reported(p, "up"), REPORT_BOUND_S + 5,
                 what="/health/ready to report postgres_replica_0 up after SIGCONT")
        problems = read_problems(p, module, acked)
        assert not problems, "\n".join(problems)


def test_killed_replica_reads_and_pushes_go_to_the_primary(services, database, spawn_spoke):
    p = spawn_spoke(postgres_env(services, database, primary_url=services.primary_url))
    module = "replica-killed"
    acked = seed(p, module, ["1.0.0", "1.0.1", "1.0.2"])
    assert replica_reported(p, "up"), "replica not reported up before the fault"

    with HealthMonitor([p], timeout_s=15) as monitor:
        t_fault = services.kill9(services.STANDBY)
        problems = exercise_failed_replica(p, module, acked, monitor, t_fault)
        assert not problems, "\n".join(problems[:40])
        time.sleep(1.0)  # a little more monitoring with the server settled on the primary
    problems = monitor.ready_problems(BOUND_S, ("postgres_primary", "postgres_replica_0"))
    problems += [f"{n}: {o.describe()}" for n, o in monitor.of("ready", since=t_fault) if o.status != 200]
    assert not problems, "\n".join(problems[:40])
    # Every acknowledged push is in the primary's tables.
    stored = psql(database_url(services.primary_url, database),
                  "SELECT v.version, v.digest FROM versions v JOIN modules m ON m.id = v.module_id "
                  f"WHERE m.name = '{module}' ORDER BY 1")
    assert dict(line.split("|") for line in stored.splitlines()) == {v: d for v, (d, _) in acked.items()}
