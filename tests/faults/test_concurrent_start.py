"""Three instances started at the same moment against an empty database: all become ready, the
schema migrations are applied exactly once (one schema_migrations row per migration the binary
knows, from backends/postgres/migrations/), and all three serve the same data."""

import glob
import os
import re

from backing_services import database_url, psql
from fault_settings import postgres_env
from observe import digest_of, fresh_request, push_body, unique_files

REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTANCES = 3
READY_BOUND_S = 30.0


def known_migrations():
    pattern = os.path.join(REPO_DIR, "backends", "postgres", "migrations", "*.sql")
    names = [os.path.basename(p) for p in glob.glob(pattern)]
    versions = sorted(int(m.group(1)) for m in (re.match(r"^(\d+)_.*\.sql$", n) for n in names) if m)
    assert versions, "no migrations found in backends/postgres/migrations"
    return versions


def test_three_instances_start_together_on_an_empty_database(services, database, spawn_spoke):
    url = database_url(services.primary_url, database)
    assert psql(url, "SELECT to_regclass('schema_migrations') IS NULL") == "t", "database is not empty"
    env = postgres_env(services, database)
    servers = [spawn_spoke(env, name=f"spoke-{k}", start=False) for k in range(INSTANCES)]
    for p in servers:  # all spawned before any is waited for
        p.spawn()
    for p in servers:
        p.wait_ready(READY_BOUND_S)

    rows = psql(url, "SELECT version FROM schema_migrations ORDER BY version").split()
    assert [int(v) for v in rows] == known_migrations(), f"schema_migrations rows: {rows}"
    assert psql(url, "SELECT count(*) FROM modules") == "0"

    # Same data through every instance: each creates a module and pushes to the next one's.
    modules = [f"start-{k}" for k in range(INSTANCES)]
    for p, m in zip(servers, modules):
        o = fresh_request("POST", f"{p.url}/modules", 15, json={"name": m}, headers=p.auth_headers())
        assert o.status == 201, f"{p.name}: {o.describe()}"
    pushed = {}
    for k, p in enumerate(servers):
        m = modules[(k + 1) % INSTANCES]
        files = unique_files(f"{m}_{k}", count=2)
        o = fresh_request("POST", f"{p.url}/modules/{m}/versions", 15, json=push_body("1.0.0", files),
                          headers=p.auth_headers())
        assert o.status == 201, f"push via {p.name}: {o.describe()}"
        assert o.json()["digest"] == digest_of(files)
        pushed[m] = (o.json()["digest"], files)
        # Readable through every instance at once (read-your-writes across instances).
        for q in servers:
            r = fresh_request("GET", f"{q.url}/modules/{m}/versions/1.0.0", 15)
            assert r.status == 200, f"{m} 1.0.0 pushed via {p.name}, read via {q.name}: {r.describe()}"
            assert r.json()["digest"] == o.json()["digest"]
            assert {f["path"]: f["content"] for f in r.json()["files"]} == files
    for q in servers:
        o = fresh_request("GET", f"{q.url}/modules", 15, params={"limit": 100})
        assert o.status == 200, o.describe()
        assert sorted(x["name"] for x in o.json()) == sorted(modules), f"{q.name}: {o.json()}"
    # Still one row per migration after all of this (nobody re-ran a migration late).
    assert [int(v) for v in psql(url, "SELECT version FROM schema_migrations ORDER BY version").split()] \
        == known_migrations()
