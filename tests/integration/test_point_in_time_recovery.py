"""Point-in-time recovery of the postgres storage type (docs/operations.md, "Point-in-time
recovery"): a PostgreSQL cluster of the test's own with WAL archiving, a base backup, pushes
before and after a chosen moment, then recovery to that moment. The pushes before it survive
whole; the ones after it are gone; Spoke serves the recovered database as it was."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness.spoke_api import proto
from harness.spoke_process import free_port

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
AS_PG = (["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
         if os.geteuid() == 0 else [])

pytestmark = [
    pytest.mark.postgres_only("point-in-time recovery is PostgreSQL's"),
    pytest.mark.skipif(not os.path.exists(f"{PG_BIN}/postgres"), reason=f"no {PG_BIN}/postgres"),
]


class ArchivingCluster:
    """A PostgreSQL 15 cluster in `base` that archives every WAL segment to base/archive."""

    def __init__(self, base):
        self.base = base
        self.data = os.path.join(base, "data")
        self.archive = os.path.join(base, "archive")
        self.socket_dir = os.path.join(base, "sock")
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(base, "postgres.log")
        for d in (self.archive, self.socket_dir):
            os.makedirs(d)
        self._own(self.archive, self.socket_dir)

    def _own(self, *paths):
        if AS_PG:
            for p in paths:
                shutil.chown(p, "postgres", "postgres")

    def as_pg(self, *argv, timeout=60):
        r = subprocess.run([*AS_PG, *argv], capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"{argv}: {r.stdout}{r.stderr}"
        return r.stdout

    def initdb(self):
        os.makedirs(self.data, mode=0o700)
        self._own(self.data)
        self.as_pg(f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E",
                   "UTF8", "--no-locale", "--no-sync")

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*AS_PG, f"{PG_BIN}/postgres", "-D", self.data, "-p", str(self.port),
                 "-k", self.socket_dir, "-c", "listen_addresses=127.0.0.1",
                 "-c", "wal_level=replica", "-c", "archive_mode=on",
                 "-c", f"archive_command=cp %p {self.archive}/%f",
                 "-c", "max_wal_senders=2", "-c", "shared_buffers=32MB"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while subprocess.run([f"{PG_BIN}/pg_isready", "-q", "-h", "127.0.0.1", "-p",
                              str(self.port), "-U", "postgres"]).returncode != 0:
            assert self.proc.poll() is None, self.tail()
            assert time.monotonic() < deadline, self.tail()
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def url(self, db="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, query, db="postgres"):
        r = subprocess.run(["psql", self.url(db), "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-c",
                            query], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def tail(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-4000:]


@pytest.fixture
def cluster():
    base = tempfile.mkdtemp(prefix="spoke-pitr-")
    os.chmod(base, 0o755)  # the postgres user reaches its directories inside
    c = ArchivingCluster(base)
    yield c
    c.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_recovery_to_a_moment_keeps_the_pushes_before_it(cluster, spawn_spoke):
    cluster.initdb()
    cluster.start()
    cluster.sql("CREATE DATABASE spoke")
    env = {"SPOKE_POSTGRES_URL": cluster.url("spoke"), "SPOKE_POSTGRES_REPLICA_URLS": ""}
    server = spawn_spoke(name="before", env=env)
    client = server.client()
    module = client.new_module("pitr")
    base_backup = os.path.join(cluster.base, "basebackup")
    os.makedirs(base_backup, mode=0o700)
    cluster._own(base_backup)
    cluster.as_pg(f"{PG_BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(cluster.port), "-U",
                  "postgres", "-D", base_backup, "-X", "stream", "-c", "fast", "--no-sync")

    def push(n):
        client.push_ok(module, f"1.{n}.0", {"a.proto": proto("pitr.v1", f"message M{n} {{}}")})

    for n in range(5):
        push(n)
    time.sleep(0.3)
    target = cluster.sql("SELECT now()")  # the server's clock, with its time zone
    time.sleep(0.3)
    for n in range(5, 9):
        push(n)
    client.close()
    server.stop()
    # Every segment up to the last push reaches the archive before the cluster is lost.
    last = cluster.sql("SELECT pg_walfile_name(pg_current_wal_lsn())")
    cluster.sql("SELECT pg_switch_wal()")
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(cluster.archive, last)):
        assert time.monotonic() < deadline, f"{last} never archived\n{cluster.tail()}"
        time.sleep(0.1)
    cluster.stop()

    # The machine is lost: recover from the base backup and the archive alone.
    shutil.rmtree(cluster.data)
    shutil.copytree(base_backup, cluster.data, symlinks=True)
    if AS_PG:
        subprocess.run(["chown", "-R", "postgres:postgres", cluster.data], check=True)
    os.chmod(cluster.data, 0o700)
    with open(os.path.join(cluster.data, "postgresql.auto.conf"), "a") as f:
        f.write(f"restore_command = 'cp {cluster.archive}/%f %p'\n")
        f.write(f"recovery_target_time = '{target}'\n")
        f.write("recovery_target_action = 'promote'\n")
    open(os.path.join(cluster.data, "recovery.signal"), "w").close()
    if AS_PG:
        shutil.chown(os.path.join(cluster.data, "recovery.signal"), "postgres", "postgres")
    began = time.monotonic()
    cluster.start()
    deadline = time.monotonic() + 60
    while cluster.sql("SELECT pg_is_in_recovery()") != "f":
        assert time.monotonic() < deadline, cluster.tail()
        time.sleep(0.1)
    print(f"recovered to {target} in {time.monotonic() - began:.1f}s")
    assert "recovery stopping before commit" in cluster.tail(), cluster.tail()

    after = spawn_spoke(name="after", env=env)
    reader = after.client(token=None)
    versions = sorted(v["version"] for v in reader.versions(module))
    assert versions == [f"1.{n}.0" for n in range(5)], versions
    for n in range(5):
        r = reader.get(f"/modules/{module}/versions/1.{n}.0/files/a.proto",
                       headers={"Accept": "text/plain"})
        assert r.status_code == 200 and f"message M{n} {{}}" in r.text, r.text
    assert reader.get(f"/modules/{module}/versions/1.5.0").status_code == 404
    reader.close()
