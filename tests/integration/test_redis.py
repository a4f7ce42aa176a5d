"""Redis as the registry's shared cache, invalidation channel and rate-limit store (issue 12),
against the real redis-server and redis-sentinel that `services.sh run --with-sentinel` starts.

The guarantee under test (docs/architecture.md, "Caches and coherence"): after a write is
acknowledged by any instance, every instance reflects it within milliseconds while Redis is up,
and within SPOKE_CACHE_STALE_BOUND while it is not; the instance that acknowledged it never serves
what the write replaced. Redis is never required: paused, killed or failing over, every request
still succeeds.

The tests that break Redis (pause, failover) come last in the file, in that order: the failover
leaves the original master dead."""

import contextlib
import os
import random
import statistics
import threading
import time

import pytest
import requests

from harness import redis_servers
from harness.spoke_api import assert_error, proto, unique, wait_redis_up
from harness.spoke_process import _psql, free_port

pytestmark = [
    pytest.mark.postgres_only("several instances share one database through Redis"),
    pytest.mark.skipif(not os.environ.get("REDIS_SENTINEL_URL"),
                       reason="needs `services.sh run --with-sentinel` (REDIS_* variables)"),
]

TIMEOUT_MS = 200


def redis_env(url=None, **extra):
    env = {"SPOKE_REDIS_URL": url or os.environ["REDIS_SENTINEL_URL"],
           "SPOKE_REDIS_TIMEOUT": f"{TIMEOUT_MS}ms"}
    env.update(extra)
    return env


def pair(spawn_spoke, **extra):
    a = spawn_spoke(name="a", env=redis_env(**extra))
    b = spawn_spoke(name="b", root=a.root, env=redis_env(**extra))
    wait_redis_up(a)
    wait_redis_up(b)
    return a, b


def files(tag):
    return {"p/a.proto": proto("p", f"message A {{ string f{tag} = 1; }}")}


def latest(client, module):
    r = client.get(f"/modules/{module}/versions/latest")
    assert r.status_code == 200, r.text
    return r.json()["version"]


def until(predicate, timeout_s):
    """Seconds until predicate() held (polled as fast as the client goes), or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if predicate():
            return time.monotonic() - started
    return None


def coherent_hits(server):
    text = requests.get(server.health_url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith('spoke_coherent_cache_requests_total{tier="l1",result="hit"}'):
            return int(line.split()[-1])
    raise AssertionError("no coherent cache metric")


# With a replica, reads are cached only once it has replayed the write an invalidation names, and
# not for SPOKE_POSTGRES_REPLICA_MAX_LAG after one that names none (subscribing drops everything
# that way): a short one lets the tests warm the cache.
HOLD_S = 0.3


def test_a_push_through_one_instance_is_latest_on_the_other(spawn_spoke):
    a, b = pair(spawn_spoke, SPOKE_POSTGRES_REPLICA_MAX_LAG=f"{int(HOLD_S * 1000)}ms")
    ca, cb = a.client(), b.client()
    m = unique("coh")
    ca.create_module(m)
    ca.push_ok(m, "1.0.0", files(0))
    delays = []
    def served_from_l1(i):
        # B caches `latest` and the module page (the second of each read is a hit). Until the
        # replica B reads from has replayed the push, B may answer from before it (uncached):
        # the guarantee adds the replica's replay lag to the channel's delivery time.
        hits = coherent_hits(b)
        for _ in range(2):
            if latest(cb, m) != f"1.{i - 1}.0":
                return False
            if cb.get(f"/modules/{m}").json()["version_count"] != i:
                return False
        return coherent_hits(b) >= hits + 2

    for i in range(1, 11):
        # B caches the module's reads again once its loops' lag probes (every 500 ms) have seen
        # the replica replay the last push.
        assert until(lambda: served_from_l1(i), 6.0) is not None, \
            "B did not serve these reads from its L1"
        ca.push_ok(m, f"1.{i}.0", files(i))
        # The pushing instance never serves what its push replaced.
        assert latest(ca, m) == f"1.{i}.0"
        assert ca.get(f"/modules/{m}").json()["version_count"] == i + 1
        delay = until(lambda: latest(cb, m) == f"1.{i}.0", 2.0)
        assert delay is not None, f"B still serves 1.{i - 1}.0 two seconds after the push"
        delays.append(delay)
        # The module page reflects the push too (each of B's loops routes by its own lag probe).
        def page_current():
            page = cb.get(f"/modules/{m}").json()
            return page["latest_version"] == f"1.{i}.0" and page["version_count"] == i + 1
        assert until(page_current, 2.0) is not None, cb.get(f"/modules/{m}").json()
    # The module list is invalidated too.
    def listed_count():
        listed = {x["name"]: x for x in cb.get("/modules", params={"prefix": m}).json()}
        return listed[m]["version_count"]
    assert until(lambda: listed_count() == 11, 2.0) is not None, listed_count()
    print(f"invalidation delay through Redis: p50 {statistics.median(delays) * 1000:.2f} ms, "
          f"max {max(delays) * 1000:.2f} ms over {len(delays)} pushes")
    # Far below the 60 s an entry lives while the channel is subscribed: the message did it.
    assert max(delays) < 1.0, delays


@contextlib.contextmanager
def stalled_standby_stream():
    """The standby stops receiving WAL (its primary_conninfo emptied), so it reports no replay lag:
    it has replayed everything it received. Restored, and caught up, on the way out."""
    standby, primary = os.environ["PG_STANDBY_URL"], os.environ["PG_PRIMARY_URL"]
    conninfo = _psql(standby, "SHOW primary_conninfo")
    assert conninfo, "the standby has no primary_conninfo to stall"
    _psql(standby, "ALTER SYSTEM SET wal_retrieve_retry_interval = '100ms'")
    _psql(standby, "ALTER SYSTEM SET primary_conninfo = ''")
    _psql(standby, "SELECT pg_reload_conf()")
    try:
        # Stopped only once its walreceiver is gone: WAL it still received would be replayed, and
        # the test would see no stall at all (a fixed sleep here was sometimes too short).
        stopped = lambda: _psql(  # noqa: E731
            standby, "SELECT count(*) FROM pg_stat_wal_receiver WHERE pid IS NOT NULL") == "0"
        assert until(stopped, 10.0) is not None, "the standby's walreceiver did not stop"
        yield
    finally:
        quoted = conninfo.replace("'", "''")
        _psql(standby, f"ALTER SYSTEM SET primary_conninfo = '{quoted}'")
        _psql(standby, "ALTER SYSTEM RESET wal_retrieve_retry_interval")
        _psql(standby, "SELECT pg_reload_conf()")
        target = _psql(primary, "SELECT pg_current_wal_insert_lsn()")
        caught_up = lambda: _psql(  # noqa: E731
            standby, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t"
        assert until(caught_up, 30.0) is not None, "the standby did not catch up after the stall"


@pytest.mark.skipif(not os.environ.get("PG_STANDBY_URL"), reason="needs the streaming standby")
def test_an_answer_a_stalled_replica_gave_is_not_cached_past_the_stall(spawn_spoke):
    # The write's position travels with its invalidation: B caches the module's reads again only
    # once its replicas have replayed it, however little lag they report meanwhile.
    a, b = pair(spawn_spoke, SPOKE_POSTGRES_REPLICA_MAX_LAG=f"{int(HOLD_S * 1000)}ms")
    ca, cb = a.client(), b.client()
    m = unique("stall")
    ca.create_module(m)
    ca.push_ok(m, "1.0.0", files(0))
    assert until(lambda: latest(cb, m) == "1.0.0", 5.0) is not None
    answers = []
    with stalled_standby_stream():
        ca.push_ok(m, "1.1.0", files(1))
        assert latest(ca, m) == "1.1.0", "the writer reads past its own fence"
        # Well past the hold, B still reads the stale replica (it is not lagging, as it says).
        deadline = time.monotonic() + 3 * HOLD_S + 0.5
        while time.monotonic() < deadline:
            answers.append(latest(cb, m))
    assert "1.0.0" in answers, f"the stall never showed on B, so this test proves nothing: {answers}"
    # Once the replica has replayed the push, B answers the new version at once.
    delay = until(lambda: latest(cb, m) == "1.1.0", 2.0)
    assert delay is not None, "B cached the stalled replica's answer"


def test_a_level_set_through_one_instance_gates_pushes_on_the_other(spawn_spoke):
    a, b = pair(spawn_spoke)
    ca, cb = a.client(), b.client()
    m = unique("gate")
    ca.create_module(m)
    assert ca.put(f"/modules/{m}/config", json={"compatibility": "NONE"}).status_code == 200
    ca.push_ok(m, "1.0.0", {"p/a.proto": proto("p", "message A { string name = 1; }")})
    # A has the module (and its level) cached from these reads.
    for _ in range(3):
        assert ca.get(f"/modules/{m}/config").json()["compatibility"] == "NONE"
        assert ca.get(f"/modules/{m}").status_code == 200
    assert cb.put(f"/modules/{m}/config", json={"compatibility": "BACKWARD"}).status_code == 200
    # Right after B's acknowledgement, A's push gate enforces BACKWARD: the type change breaks it.
    r = ca.push(m, "2.0.0", {"p/a.proto": proto("p", "message A { int64 name = 1; }")})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "INCOMPATIBLE"
    assert until(lambda: ca.get(f"/modules/{m}/config").json()["compatibility"] == "BACKWARD",
                 2.0) is not None


def test_a_token_revoked_through_one_instance_stops_working_on_the_other(spawn_spoke):
    a, b = pair(spawn_spoke)
    ca = a.client()
    r = ca.post("/auth/tokens", json={"name": unique("tok"), "scopes": ["read", "write"]})
    assert r.status_code == 201, r.text
    created = r.json()
    on_b = b.client(token=created["token"])
    m = unique("tokm")
    assert on_b.create_module(m).status_code == 201  # B has the token cached now
    assert ca.request("DELETE", f"/auth/tokens/{created['id']}").status_code == 200
    delay = until(lambda: on_b.get("/modules", params={"prefix": m}).status_code == 401 or
                  on_b.create_module(unique("tokx")).status_code == 401, 2.0)
    assert delay is not None, "the revoked token still works on B after 2 s"
    assert delay < 1.0, delay  # SPOKE_AUTH_CACHE_TTL (10 s) would be the bound without Redis


def shared_cache_counts(server):
    text = requests.get(server.health_url + "/metrics", timeout=5).text
    out = {}
    for line in text.splitlines():
        if line.startswith("spoke_shared_cache_requests_total{"):
            out["hit" if 'result="hit"' in line else "miss"] = int(line.split()[-1])
    return out


def test_versions_are_shared_between_instances_through_redis(spawn_spoke):
    a, b = pair(spawn_spoke)
    c = spawn_spoke(name="c", root=a.root, env=redis_env())
    wait_redis_up(c)
    m = unique("l2")
    a.client().create_module(m)
    body = {"p/a.proto": proto("p", "message A { string x = 1; }"), "p/b.proto": proto("p", "message B {}")}
    a.client().push_ok(m, "1.0.0", body)
    master = redis_servers.sentinel_master(redis_servers.sentinel_ports()[0])[1]
    key = f"spoke:snap:1:{m}@1.0.0"
    # The push stored the snapshot in Redis: B's first read comes from there (tier l2), not S3.
    assert redis_servers.redis_cli(master, "EXISTS", key) == "1"
    before = shared_cache_counts(b)
    r = b.client(token=None).get(f"/modules/{m}/versions/1.0.0/files/p/a.proto",
                                 headers={"Accept": "text/plain"})
    assert r.status_code == 200 and r.text == body["p/a.proto"], r.text
    after = shared_cache_counts(b)
    assert (after["hit"], after["miss"]) == (before["hit"] + 1, before["miss"]), (before, after)
    # Gone from Redis (evicted, expired): C misses, reads PostgreSQL and S3, and stores it again.
    assert redis_servers.redis_cli(master, "DEL", key) == "1"
    before = shared_cache_counts(c)
    for path, text in body.items():
        r = c.client(token=None).get(f"/modules/{m}/versions/v1.0.0/files/{path}",
                                     headers={"Accept": "text/plain"})
        assert r.status_code == 200 and r.text == text, r.text
    after = shared_cache_counts(c)
    assert after["miss"] == before["miss"] + 1 and after["hit"] == before["hit"], (before, after)
    assert until(lambda: redis_servers.redis_cli(master, "EXISTS", key) == "1", 2.0) is not None
    # A damaged value is a miss, never wrong content.
    value = redis_servers.call(master, "GET", key)
    redis_servers.call(master, "SET", key, value[:-3] + "xyz")
    d = spawn_spoke(name="d", root=a.root, env=redis_env())
    wait_redis_up(d)
    r = d.client(token=None).get(f"/modules/{m}/versions/1.0.0/files/p/b.proto",
                                 headers={"Accept": "text/plain"})
    assert r.status_code == 200 and r.text == body["p/b.proto"], r.text
    # ...and D wrote a good copy back.
    assert until(lambda: redis_servers.call(master, "GET", key) == value, 2.0) is not None


def xff(address):
    return {"X-Forwarded-For": address}


def count_allowed(clients, address, n):
    allowed, limited = 0, []
    for i in range(n):
        r = clients[i % len(clients)].get("/modules", headers=xff(address))
        if r.status_code == 200:
            allowed += 1
            assert int(r.headers["X-RateLimit-Limit"]) == 20
        else:
            limited.append(r)
    for r in limited:
        body = assert_error(r, 429, "RATE_LIMITED")
        assert int(r.headers["Retry-After"]) >= 1 and body["retry_after"] >= 1
        assert r.headers["X-RateLimit-Remaining"] == "0"
    return allowed


def test_rate_limit_budget_is_shared_by_the_instances(spawn_spoke):
    # 20 at once, one more per second: over ~1 s of requests at most 21-22 pass in all.
    a, b = pair(spawn_spoke, SPOKE_RATE_LIMIT="60/m:20", SPOKE_TRUSTED_PROXIES="127.0.0.1")
    clients = [a.client(token=None), b.client(token=None)]
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    started = time.monotonic()
    allowed = count_allowed(clients, address, 60)
    elapsed = time.monotonic() - started
    assert 20 <= allowed <= 20 + int(elapsed) + 1, (allowed, elapsed)
    health = requests.get(a.health_url + "/metrics", timeout=5).text
    assert 'spoke_rate_limit_decisions_total{result="limited",source="redis"}' in health
    # Another client's budget is its own; the health port is never limited.
    assert clients[0].get("/modules", headers=xff("10.255.255.254")).status_code == 200
    for _ in range(50):
        assert requests.get(a.health_url + "/health/live", timeout=5).status_code == 200


def test_rate_limit_without_redis_is_per_instance(spawn_spoke):
    # A Redis URL nobody answers on: each instance decides with its own buckets.
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = {"SPOKE_REDIS_URL": dead, "SPOKE_RATE_LIMIT": "60/m:20", "SPOKE_TRUSTED_PROXIES": "127.0.0.1"}
    a = spawn_spoke(name="a", env=env)
    b = spawn_spoke(name="b", root=a.root, env=env)
    ready = requests.get(a.health_url + "/health/ready", timeout=5)
    assert ready.status_code == 200 and ready.json()["status"] == "degraded", ready.text
    assert ready.json()["checks"]["redis"]["status"] == "down"
    clients = [a.client(token=None), b.client(token=None)]
    started = time.monotonic()
    allowed = count_allowed(clients, "10.1.2.3", 80)
    elapsed = time.monotonic() - started
    assert 40 <= allowed <= 40 + 2 * (int(elapsed) + 1), (allowed, elapsed)


def test_host_names_for_postgres_redis_and_s3(spawn_spoke):
    """`localhost` instead of 127.0.0.1 everywhere: resolved on the loops' resolver (libpq and
    hiredis would block a loop on it), at every connect."""
    probe = spawn_spoke(name="probe", start=False)
    env = {k: v.replace("127.0.0.1", "localhost") for k, v in probe.env().items()
           if k in ("SPOKE_POSTGRES_URL", "SPOKE_POSTGRES_REPLICA_URLS", "SPOKE_S3_ENDPOINT")}
    assert all("localhost" in v for v in env.values()), env
    env["SPOKE_REDIS_URL"] = f"redis://localhost:{redis_servers.redis_port()}/0"
    a = spawn_spoke(name="named", root=probe.root, env=env)
    wait_redis_up(a)
    c = a.client()
    m = unique("named")
    assert c.create_module(m).status_code == 201
    c.push_ok(m, "1.0.0", files(0))
    assert latest(c, m) == "1.0.0"
    assert c.get(f"/modules/{m}/versions/1.0.0/files/p/a.proto").status_code == 200


def test_a_slow_resolver_blocks_no_loop(spawn_spoke, tmp_path):
    """The name server takes 1.5 s to answer: meanwhile every loop serves requests at once, and
    Redis comes up once the name resolves."""
    from harness.slow_dns import SlowDns
    dns = SlowDns(delay_s=1.5)
    try:
        env = {"SPOKE_REDIS_URL": f"redis://cache.spoke.test:{redis_servers.redis_port()}/0",
               "SPOKE_RESOLV_CONF": dns.resolv_conf(tmp_path / "resolv.conf"),
               "SPOKE_RATE_LIMIT": "100000/s"}
        a = spawn_spoke(name="slowdns", env=env)
        c = a.client(token=None)
        started = time.monotonic()
        worst = 0.0
        while time.monotonic() - started < 1.0:
            t = time.monotonic()
            assert c.get("/modules").status_code == 200
            worst = max(worst, time.monotonic() - t)
        # evdns randomizes the case of the letters it asks for (DNS 0x20).
        assert any(name.lower() == "cache.spoke.test" for name, _ in dns.queries), dns.queries
        assert worst < 0.5, f"a request waited {worst:.2f} s while the name was being resolved"
        wait_redis_up(a, timeout_s=10)
    finally:
        dns.close()


class Load:
    """Readers and a writer against `servers` until stop(): every response and its latency."""

    def __init__(self, servers, module):
        self.servers, self.module = servers, module
        self.results, self.errors = [], []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.read, args=(s,)) for s in servers for _ in range(2)]
        self.threads.append(threading.Thread(target=self.write))
        self.pushed = 0

    def read(self, server):
        c = server.client(token=None)
        while not self.stopping.is_set():
            t = time.monotonic()
            try:
                r = c.get(f"/modules/{self.module}/versions/latest", timeout=10)
                self.results.append((r.status_code, time.monotonic() - t))
            except requests.RequestException as e:  # noqa: PERF203
                self.errors.append(repr(e))

    def write(self):
        c = self.servers[0].client()
        while not self.stopping.is_set():
            self.pushed += 1
            try:
                r = c.push(self.module, f"2.{self.pushed}.0", files(1000 + self.pushed))
                self.results.append((r.status_code, 0.0))
            except requests.RequestException as e:
                self.errors.append(repr(e))
            time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)

    def check(self, what):
        codes = {}
        for code, _ in self.results:
            codes[code] = codes.get(code, 0) + 1
        assert not self.errors, (what, self.errors[:3])
        assert set(codes) <= {200, 201}, (what, codes)
        latencies = sorted(d for code, d in self.results if code == 200)
        p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
        return len(self.results), p99


def loaded_module(a, prefix):
    """A new module with 1.0.0 through `a`, and the port of the master the sentinels name."""
    m = unique(prefix)
    a.client().create_module(m)
    a.client().push_ok(m, "1.0.0", files(0))
    return m, redis_servers.sentinel_master(redis_servers.sentinel_ports()[0])[1]


def push_next_is_seen(a, b, m, tag):
    """Pushes the next minor version through A; true once B's latest names it (within 2 s)."""
    cb = b.client(token=None)
    major, minor, _ = latest(cb, m).split(".")
    nxt = f"{major}.{int(minor) + 1}.0"
    a.client().push_ok(m, nxt, files(tag))
    return until(lambda: latest(cb, m) == nxt, 2.0) is not None


def test_a_paused_redis_fails_requests_never(spawn_spoke):
    """SIGSTOP keeps Redis' sockets open and silent, which hiredis alone never notices: every
    command's deadline (SPOKE_REDIS_TIMEOUT) turns it into a miss, so requests take at most about
    one timeout longer, and the cache and the channel come back with Redis."""
    a, b = pair(spawn_spoke, SPOKE_RATE_LIMIT="100000/s")  # every request asks Redis
    m, master = loaded_module(a, "pause")
    with Load([a, b], m) as load:
        time.sleep(0.5)
        redis_servers.pause(master)
        try:
            time.sleep(0.5)  # shorter than the sentinels' down-after (1 s): no failover
            ready = requests.get(b.health_url + "/health/ready", timeout=5)
            assert ready.status_code == 200, ready.text
        finally:
            redis_servers.resume(master)
        time.sleep(0.5)
    n, p99 = load.check("paused")
    assert n > 50, n
    # One command deadline, plus a margin for this box (debug and sanitizer builds too).
    assert p99 < 1.5, p99
    wait_redis_up(a)
    wait_redis_up(b)
    # A push whose message Redis did not take during the pause is published once A's connection
    # is back: B converges on A's latest...
    on_a = latest(a.client(token=None), m)
    assert until(lambda: latest(b.client(token=None), m) == on_a, 5.0) is not None
    # ...and is coherent again: a push through A is latest through B.
    assert push_next_is_seen(a, b, m, 5000)


def test_a_manual_failover_is_followed_while_the_old_master_lives(spawn_spoke):
    """SENTINEL FAILOVER demotes a master that stays up (it still serves reads and PUBLISH as a
    replica): the instances hear +switch-master from a sentinel and move to the promoted one."""
    a, b = pair(spawn_spoke)
    m, old = loaded_module(a, "manual")
    sentinels = redis_servers.sentinel_ports()
    assert redis_servers.redis_cli(sentinels[0], "SENTINEL", "FAILOVER", "spoke") == "OK"
    new = redis_servers.wait_failover(old, timeout=20)
    assert new != old and redis_servers.answers(old), "the old master should still be up"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if all("sentinel reported a new master" in open(s.stdout_path, encoding="utf-8").read()
               for s in (a, b)):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no +switch-master seen by both instances")
    wait_redis_up(a, timeout_s=20)
    wait_redis_up(b, timeout_s=20)
    for i in range(3):
        assert push_next_is_seen(a, b, m, 7000 + i), "no invalidation after the manual failover"
    # Both instances' connections are on the new master (the old one, a replica now, would
    # refuse the rate-limit script's writes and take publishes nobody hears).
    clients = redis_servers.redis_cli(new, "CLIENT", "LIST")
    assert clients.count("cmd=") >= 4, clients


def test_sentinel_failover_is_followed_without_a_restart(spawn_spoke):
    """Kill the master under load: no request fails; the instances find the promoted replica
    through the sentinels and invalidation works through it."""
    a, b = pair(spawn_spoke)
    m, old = loaded_module(a, "fo")
    with Load([a, b], m) as load:
        time.sleep(0.3)
        redis_servers.kill(old)
        new = redis_servers.wait_failover(old, timeout=20)
        assert new != old
        time.sleep(0.3)
    n, _ = load.check("failover")
    assert n > 50, n
    wait_redis_up(a, timeout_s=20)
    wait_redis_up(b, timeout_s=20)
    for i in range(3):
        assert push_next_is_seen(a, b, m, 9000 + i), "no invalidation after failover"
    text = requests.get(a.health_url + "/metrics", timeout=5).text
    seen = [line for line in text.splitlines() if line.startswith("spoke_redis_failovers_seen_total ")]
    assert seen and int(seen[0].split()[1]) >= 1, seen
    with open(a.stdout_path, encoding="utf-8") as f:
        assert "redis master changed" in f.read()
