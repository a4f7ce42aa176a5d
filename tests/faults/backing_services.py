"""BackingServices: the PostgreSQL primary, standby and S3 server that tests/harness/services.sh
started for this test file, and the faults a test can inflict on them (kill -9, SIGSTOP/SIGCONT,
promotion, restarting S3).

The servers are children of services.sh, which reaps them and tears them down. Killed processes
are left to it; frozen ones are always thawed again (close()), since a stopped process ignores
the SIGINT that services.sh sends at teardown. A restarted S3 server is our own child and is
stopped by close()."""

import itertools
import os
import signal
import subprocess
import time

import requests

PSQL_TIMEOUT_S = 20.0
_db_counter = itertools.count(1)


def alive(pid):
    """True while pid exists and is not a zombie (kill -0 succeeds on zombies)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid):
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def process_tree(pid):
    """pid and all of its descendants, parents first."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(children(p))
    return out


def wait_dead(pids, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"processes {[p for p in pids if alive(p)]} survived SIGKILL"
        time.sleep(0.02)


def database_url(url, database):
    """url (possibly multi-host, possibly with ?params) with its database name replaced."""
    base, sep, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}{sep}{query}"


def psql(url, sql, timeout_s=PSQL_TIMEOUT_S):
    """Runs sql with the psql CLI; returns its unaligned output. Raises AssertionError on failure."""
    sep = "&" if "?" in url else "?"
    result = subprocess.run(["psql", f"{url}{sep}connect_timeout=5", "-X", "-Atq", "-v", "ON_ERROR_STOP=1",
                             "-c", sql], capture_output=True, text=True, timeout=timeout_s)
    assert result.returncode == 0, f"psql {sql!r} failed: {result.stderr.strip()}"
    return result.stdout.strip()


def psql_ok(url, sql, timeout_s=5.0):
    try:
        psql(url, sql, timeout_s)
        return True
    except (AssertionError, subprocess.TimeoutExpired):
        return False


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run tests/faults/run.sh, not pytest directly")
    return value


class BackingServices:
    PRIMARY, STANDBY, S3 = "pg-primary", "pg-standby", "s3"

    def __init__(self):
        self.dir = _required_env("SERVICES_DIR")
        self.primary_url = _required_env("PG_PRIMARY_URL")
        self.standby_url = _required_env("PG_STANDBY_URL")
        self.multi_url = _required_env("PG_MULTI_URL")
        self.s3_endpoint = _required_env("S3_ENDPOINT")
        self.s3_bucket = _required_env("S3_BUCKET")
        self.s3_access_key = _required_env("S3_ACCESS_KEY")
        self.s3_secret_key = _required_env("S3_SECRET_KEY")
        self.s3_region = _required_env("S3_REGION")
        self._s3_restarted = None  # Popen of our own S3 server after a restart
        self._frozen = set()
        # How services.sh started S3, read now while it runs, to restart it the same way.
        s3_pid = self.pid(self.S3)
        with open(f"/proc/{s3_pid}/cmdline", "rb") as f:
            self._s3_argv = [a.decode() for a in f.read().split(b"\0") if a]
        self._s3_cwd = os.readlink(f"/proc/{s3_pid}/cwd")

    # ---- processes -----------------------------------------------------------------------------
    def pid(self, name):
        """PID of the server services.sh started as `name` (pg-primary, pg-standby, s3)."""
        if name == self.S3 and self._s3_restarted is not None:
            return self._s3_restarted.pid
        with open(os.path.join(self.dir, f"{name}.pid")) as f:
            return int(f.read().strip())

    def kill9(self, name):
        """SIGKILL the server and every process it forked (a crash of the whole instance), and
        waits until they are gone. Returns the time of the kill (time.monotonic())."""
        root = self.pid(name)
        pids = process_tree(root)
        t = time.monotonic()
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # A backend forked between the listing and the kill dies with its postmaster's pipe.
        wait_dead(pids)
        self._frozen.difference_update(pids)
        if name == self.S3 and self._s3_restarted is not None:
            self._s3_restarted.wait(timeout=10)
            self._s3_restarted = None
        return t

    def freeze(self, name):
        """SIGSTOP the server and its children: connections to it hang (the kernel still completes
        TCP handshakes into the listen backlog). The root stops first, so it forks no more."""
        root = self.pid(name)
        os.kill(root, signal.SIGSTOP)
        self._frozen.add(root)
        for p in process_tree(root)[1:]:
            try:
                os.kill(p, signal.SIGSTOP)
                self._frozen.add(p)
            except ProcessLookupError:
                pass
        return time.monotonic()

    def thaw(self, name=None):
        """SIGCONT what freeze() stopped (all of it when name is None)."""
        pids = set(self._frozen) if name is None else set(process_tree(self.pid(name))) & self._frozen
        for p in pids:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen.difference_update(pids)
        return time.monotonic()

    # ---- PostgreSQL ----------------------------------------------------------------------------
    def create_database(self, replicated=True):
        """A fresh, empty database on the primary; with replicated, waits until the standby has it."""
        name = f"faults_{os.getpid()}_{next(_db_counter)}"
        psql(self.primary_url, f"CREATE DATABASE {name}")
        if replicated:
            url = database_url(self.standby_url, name)
            deadline = time.monotonic() + 15
            while not psql_ok(url, "SELECT 1"):
                assert time.monotonic() < deadline, f"standby never got database {name}"
                time.sleep(0.1)
        return name

    def require_synchronous_standby(self, database):
        """Commits in `database` are acknowledged only once the standby has flushed them, so a
        failover cannot lose a commit that was acknowledged (services.sh runs with asynchronous
        replication and synchronous_commit=off on the command line; a per-database setting wins
        over the command line, and the standby's own configuration keeps none of this)."""
        psql(self.primary_url, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        psql(self.primary_url, "SELECT pg_reload_conf()")
        psql(self.primary_url, f"ALTER DATABASE {database} SET synchronous_commit = 'on'")
        deadline = time.monotonic() + 15
        while psql(self.primary_url, "SELECT string_agg(sync_state, ',') FROM pg_stat_replication") != "sync":
            assert time.monotonic() < deadline, "the standby never became synchronous"
            time.sleep(0.1)
        setting = psql(database_url(self.primary_url, database), "SHOW synchronous_commit")
        assert setting == "on", f"synchronous_commit is {setting!r} in {database}"

    def promote_standby(self):
        """Promotes the standby and waits until it accepts writes. Returns time.monotonic() then."""
        assert psql(self.standby_url, "SELECT pg_promote(true, 30)", timeout_s=40) == "t"
        deadline = time.monotonic() + 15
        while psql(self.standby_url, "SELECT pg_is_in_recovery()") != "f":
            assert time.monotonic() < deadline, "standby still in recovery after pg_promote"
            time.sleep(0.05)
        return time.monotonic()

    # ---- S3 ------------------------------------------------------------------------------------
    def s3_answers(self):
        try:
            r = requests.get(f"{self.s3_endpoint}/{self.s3_bucket}?list-type=2", timeout=2)
            return r.status_code == 200
        except requests.RequestException:
            return False

    def restart_s3(self, timeout_s=30.0):
        """Starts S3 again with services.sh's command line (same port, data dir and bucket) after
        kill9(S3). The new server is our child; close() stops it."""
        assert not alive(self.pid(self.S3)), "S3 is still running"
        log = open(os.path.join(self.dir, "s3.restarted.log"), "ab")
        try:
            self._s3_restarted = subprocess.Popen(self._s3_argv, cwd=self._s3_cwd, stdin=subprocess.DEVNULL,
                                                  stdout=log, stderr=log)
        finally:
            log.close()
        deadline = time.monotonic() + timeout_s
        while not self.s3_answers():
            assert self._s3_restarted.poll() is None, "restarted S3 exited; see s3.restarted.log"
            assert time.monotonic() < deadline, f"restarted S3 not answering after {timeout_s}s"
            time.sleep(0.05)
        return time.monotonic()

    # ---- teardown ------------------------------------------------------------------------------
    def close(self):
        self.thaw()
        p = self._s3_restarted
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        self._s3_restarted = None

    def log_tails(self, lines=25):
        out = []
        for name in ("pg-primary.log", "pg-standby.log", "s3.log", "s3.restarted.log"):
            path = os.path.join(self.dir, name)
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace").splitlines()
            except OSError:
                continue
            out.append(f"--- {name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(out)
