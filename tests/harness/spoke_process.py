"""SpokeProcess: one spoke-server child process on loopback, with its ports, data root and logs.

Every wait has a deadline; every process started is stopped and reaped (PID 1 on the test machines
does not reap orphans, so a server that is not our child would linger as a zombie).

SPOKE_TEST_STORAGE picks the storage backend of every SpokeProcess: `filesystem` (the default) or
`postgres`, which needs the servers of `tests/harness/services.sh run --with-standby --with-s3`
(PG_* and S3_* in the environment). In postgres mode the data root still names the store: every
root gets a database of its own, so servers given the same root share their data, as they would
share a directory."""

import hashlib
import ipaddress
import os
import random
import signal
import socket
import subprocess
import time
import urllib.parse

import requests

HOST = "127.0.0.1"
# The ephemeral range starts at 32768: a polling client can self-connect to a closed port there.
PORT_RANGE = (20000, 32000)
# ThreadSanitizer prints races as "WARNING: ThreadSanitizer: data race" and its own failures as ERROR.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer", "ERROR: ThreadSanitizer",
                     "WARNING: ThreadSanitizer")
# The exit code scripts/test.sh gives the sanitizers (TSAN_OPTIONS exitcode=66): a server that
# died of a report fails its test even if the report did not reach its stderr file.
SANITIZER_EXIT_CODE = 66
READY_TIMEOUT_S = float(os.environ.get("SPOKE_TEST_READY_TIMEOUT", "20"))
STOP_TIMEOUT_S = 15.0

_handed_out = set()
# Every SpokeProcess ever created in this pytest run, in start order (for logs on failure).
ALL_PROCESSES = []


def free_port():
    """A loopback TCP port below the ephemeral range that is free now and was not handed out before."""
    for _ in range(500):
        port = random.randint(*PORT_RANGE)
        if port in _handed_out:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((HOST, port))
        except OSError:
            continue
        finally:
            s.close()
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port found below the ephemeral range")


def clean_environment():
    """The caller's environment without anything that would configure or activate a server."""
    drop_prefixes = ("SPOKE_", "NOTIFY_SOCKET", "WATCHDOG_", "LISTEN_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop_prefixes)}


def tail(path, lines=80):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "<no file>"
    text = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def run_once(binary, env, timeout_s=10.0):
    """Runs the binary to completion (for start-up failures): (returncode, stdout, stderr)."""
    proc = subprocess.run([binary], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout_s)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


class ServerFailed(AssertionError):
    pass


# Admin tokens made by `spoke-server token create`, by storage (root or database): one each.
_admin_tokens = {}


def create_token(binary, env, name, scopes, prefixes=(), expires_at=None, timeout_s=30.0):
    """Runs `spoke-server token create` with `env` (the storage a server uses); returns the secret."""
    args = [binary, "token", "create", "--name", name]
    for s in scopes:
        args += ["--scope", s]
    for p in prefixes:
        args += ["--prefix", p]
    if expires_at:
        args += ["--expires-at", expires_at]
    proc = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s)
    if proc.returncode != 0:
        raise ServerFailed(f"token create failed ({proc.returncode}): {proc.stderr.decode('utf-8', 'replace')}")
    return proc.stdout.decode().strip()


# ---- storage backend under test --------------------------------------------------------------
STORAGE_TYPES = ("filesystem", "postgres")
PSQL_TIMEOUT_S = 30.0
REPLICATION_TIMEOUT_S = 15.0
# Databases known to exist on the primary (and, with a standby, to have replicated to it).
_databases_ready = set()


def storage_under_test():
    """The backend named by SPOKE_TEST_STORAGE (default filesystem); ValueError for anything else."""
    value = os.environ.get("SPOKE_TEST_STORAGE") or "filesystem"
    if value not in STORAGE_TYPES:
        raise ValueError(f"SPOKE_TEST_STORAGE={value!r} is not one of {', '.join(STORAGE_TYPES)}")
    return value


def _service_env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"SPOKE_TEST_STORAGE=postgres needs {name}: run the tests under "
                           "tests/harness/services.sh run --with-standby --with-s3 -- ...")
    return value


def database_name(root):
    """The PostgreSQL database that stands for data root `root` (a valid unquoted identifier)."""
    digest = hashlib.sha256(os.path.realpath(root).encode("utf-8")).hexdigest()[:12]
    return f"spoke_t_{digest}"


def _add_query(url, param):
    parts = urllib.parse.urlsplit(url)
    query = f"{parts.query}&{param}" if parts.query else param
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _host_address(host_port):
    """The numeric address of one `host[:port]` of a URL's host list."""
    host = host_port[1:].split("]", 1)[0] if host_port.startswith("[") else host_port.rsplit(":", 1)[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]


def url_for_database(url, dbname):
    """`url` (a postgresql:// URL naming one host or several) with its database replaced by dbname.
    A single host also gets hostaddr, so libpq never resolves a name; with several hosts hostaddr
    would have to list one address per host, so the URL is left as it is."""
    parts = urllib.parse.urlsplit(url)
    hosts = parts.netloc.rsplit("@", 1)[-1].split(",")
    url = urllib.parse.urlunsplit(parts._replace(path="/" + dbname))
    if len(hosts) == 1 and hosts[0] and "hostaddr=" not in parts.query:
        url = _add_query(url, "hostaddr=" + _host_address(hosts[0]))
    return url


def _psql(url, sql):
    """One statement through the psql CLI; its unaligned output, or RuntimeError with psql's stderr."""
    cmd = ["psql", _add_query(url, "connect_timeout=5"), "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=PSQL_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"psql failed ({proc.returncode}) on {sql!r}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _database_exists(url, dbname):
    return _psql(url, f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'") == "1"


def ensure_database(dbname):
    """Creates database dbname on the primary unless it exists, and waits until the standby (if any)
    has replayed it: a server started before that would find its replica without the database."""
    if dbname in _databases_ready:
        return
    primary = _service_env("PG_PRIMARY_URL")
    if not _database_exists(primary, dbname):
        try:
            _psql(primary, f"CREATE DATABASE {dbname}")
        except RuntimeError:
            if not _database_exists(primary, dbname):  # else another run created it meanwhile
                raise
    standby = os.environ.get("PG_STANDBY_URL")
    if standby:
        deadline = time.monotonic() + REPLICATION_TIMEOUT_S
        while not _database_exists(standby, dbname):
            if time.monotonic() > deadline:
                raise RuntimeError(f"database {dbname} did not reach the standby within "
                                   f"{REPLICATION_TIMEOUT_S}s")
            time.sleep(0.05)
    _databases_ready.add(dbname)


def postgres_environment(dbname):
    """The SPOKE_* settings of a postgres-backed server on database dbname of the services under test."""
    env = {
        "SPOKE_STORAGE_TYPE": "postgres",
        # PG_MULTI_URL names the standby and the primary with target_session_attrs=read-write.
        "SPOKE_POSTGRES_URL": url_for_database(_service_env("PG_MULTI_URL"), dbname),
        "SPOKE_POSTGRES_MIN_CONNS": "2",
        "SPOKE_POSTGRES_MAX_CONNS": "8",
        "SPOKE_S3_ENDPOINT": _service_env("S3_ENDPOINT"),
        "SPOKE_S3_BUCKET": _service_env("S3_BUCKET"),
        "SPOKE_S3_ACCESS_KEY": _service_env("S3_ACCESS_KEY"),
        "SPOKE_S3_SECRET_KEY": _service_env("S3_SECRET_KEY"),
        "SPOKE_S3_REGION": _service_env("S3_REGION"),
        "SPOKE_S3_USE_PATH_STYLE": "true",
    }
    standby = os.environ.get("PG_STANDBY_URL")
    if standby:
        env["SPOKE_POSTGRES_REPLICA_URLS"] = url_for_database(standby, dbname)
    return env


class SpokeProcess:
    def __init__(self, binary, workdir, root=None, env=None, name="spoke"):
        self.binary = binary
        self.workdir = str(workdir)
        self.name = name
        self.root = str(root) if root else os.path.join(self.workdir, "data")
        os.makedirs(self.root, exist_ok=True)
        self.extra_env = dict(env or {})
        self.storage = storage_under_test()
        self.database = database_name(self.root) if self.storage == "postgres" else None
        self.port = None
        self.health_port = None
        self.proc = None
        self.starts = 0
        self.stdout_path = None
        self.stderr_path = None
        self.expect_clean_exit = True
        self.final_returncode = None
        # A SocketHolder (tests/harness/socket_holder.py): the process gets its sockets from it.
        self.socket_holder = None
        ALL_PROCESSES.append(self)

    # ---- addresses ---------------------------------------------------------------------------
    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    @property
    def health_url(self):
        return f"http://{HOST}:{self.health_port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def env(self):
        env = clean_environment()
        env.update({
            "SPOKE_HOST": HOST,
            "SPOKE_PORT": str(self.port),
            "SPOKE_HEALTH_PORT": str(self.health_port),
            "SPOKE_FILESYSTEM_ROOT": self.root,
            "SPOKE_THREADS": "2",
            "SPOKE_WORKER_THREADS": "2",
            "SPOKE_SHUTDOWN_TIMEOUT": "10s",
            "SPOKE_MAX_BODY": "4MiB",
            "SPOKE_LOG_LEVEL": "info",
            "SPOKE_RATE_LIMIT": "0",
        })
        if self.storage == "postgres":
            env.update(postgres_environment(self.database))
        env.update(self.extra_env)
        return env

    # ---- credentials -------------------------------------------------------------------------
    @property
    def admin_token(self):
        """An admin token of this server's storage, made once (while the server runs, as an
        operator would) with the bootstrap command."""
        key = self.database or os.path.realpath(self.root)
        if key not in _admin_tokens:
            if self.database:
                ensure_database(self.database)
            _admin_tokens[key] = create_token(self.binary, self.env(), "harness-admin", ["admin"])
        return _admin_tokens[key]

    def client(self, token=True):
        """A SpokeClient for the API: with the admin token by default, anonymous with token=None,
        or with the token given."""
        from harness.spoke_api import SpokeClient
        return SpokeClient(self.url, token=self.admin_token if token is True else token)

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.admin_token}"}

    # ---- lifecycle ---------------------------------------------------------------------------
    def spawn(self, keep_ports=False):
        """Starts the process without waiting for readiness."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self.socket_holder is not None:
            self.port = self.socket_holder.api_port
            self.health_port = self.socket_holder.health_port
        elif not keep_ports or self.port is None:
            self.port = free_port()
            self.health_port = free_port()
        if self.database:
            ensure_database(self.database)
        self.starts += 1
        self.stdout_path = os.path.join(self.workdir, f"{self.name}.{self.starts}.stdout.log")
        self.stderr_path = os.path.join(self.workdir, f"{self.name}.{self.starts}.stderr.log")
        self.expect_clean_exit = True
        self.final_returncode = None
        argv, activation = [self.binary], {}
        env = self.env()
        if self.socket_holder is not None:
            argv = self.socket_holder.command(self.binary)
            env.update(self.socket_holder.environment())
            activation = {"preexec_fn": self.socket_holder.place_fds,
                          "pass_fds": self.socket_holder.pass_fds()}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd=self.workdir, **activation)
        return self

    def start(self, ready_timeout_s=READY_TIMEOUT_S):
        """Starts the process and waits until /health/ready answers 200. Retries once on a port clash."""
        for attempt in range(3):
            self.spawn(keep_ports=False)
            try:
                self.wait_ready(ready_timeout_s)
                return self
            except ServerFailed:
                if self.proc.poll() is not None and "in use" in self.stderr() + self.stdout() and attempt < 2:
                    continue
                raise
        return self

    def restart(self, ready_timeout_s=READY_TIMEOUT_S):
        """Starts again on the same ports and data root."""
        self.spawn(keep_ports=True)
        self.wait_ready(ready_timeout_s)
        return self

    def drain_restart(self, exit_timeout_s=30):
        """SIGTERM, a clean exit after the drain, then start again on the same ports (or the
        same held sockets) and wait until ready: what `systemctl restart` does."""
        self.signal(signal.SIGTERM)
        assert self.wait_exit(exit_timeout_s) == 0, self.describe_logs()
        return self.restart()

    def wait_ready(self, timeout_s=READY_TIMEOUT_S):
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.final_returncode = rc
                raise ServerFailed(f"{self.name} exited with {rc} before it was ready\n"
                                   f"--- stderr ---\n{tail(self.stderr_path)}\n--- stdout ---\n{tail(self.stdout_path)}")
            try:
                r = requests.get(self.health_url + "/health/ready", timeout=1.0,
                                 headers={"Connection": "close"})
                last = r.status_code
                if r.status_code == 200:
                    return
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        raise ServerFailed(f"{self.name} not ready after {timeout_s}s (last: {last})\n"
                           f"--- stderr ---\n{tail(self.stderr_path)}\n--- stdout ---\n{tail(self.stdout_path)}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        assert self.running(), f"{self.name} is not running"
        os.kill(self.proc.pid, sig)

    def kill9(self):
        """SIGKILL and reap; the exit is expected to be unclean."""
        self.expect_clean_exit = False
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)
        self.final_returncode = self.proc.wait(timeout=STOP_TIMEOUT_S)
        return self.final_returncode

    def wait_exit(self, timeout_s):
        """Waits for the process to exit by itself; returns its code, or None at the deadline."""
        try:
            self.final_returncode = self.proc.wait(timeout=timeout_s)
            return self.final_returncode
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM, wait, SIGKILL as a last resort. Returns a list of problems (empty when clean)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
                problems.append(f"{self.name} (pid {self.proc.pid}) ignored SIGTERM for {STOP_TIMEOUT_S}s; killed")
            self.final_returncode = rc
            if self.expect_clean_exit and rc != 0:
                problems.append(f"{self.name} exited with {rc} after SIGTERM (expected 0)")
        else:
            self.final_returncode = self.proc.returncode
        if os.path.exists(f"/proc/{self.proc.pid}"):
            problems.append(f"{self.name} (pid {self.proc.pid}) still exists after stop")
        problems.extend(self.sanitizer_reports())
        return problems

    # ---- logs --------------------------------------------------------------------------------
    def stdout(self):
        return _read(self.stdout_path)

    def stderr(self):
        return _read(self.stderr_path)

    def all_stderr(self):
        """stderr of every start of this process (restarts included)."""
        out = []
        for i in range(1, self.starts + 1):
            out.append(_read(os.path.join(self.workdir, f"{self.name}.{i}.stderr.log")))
        return "\n".join(out)

    def sanitizer_reports(self):
        text = self.all_stderr()
        found = [m for m in SANITIZER_MARKERS if m in text]
        if not found:
            if self.proc is not None and self.proc.poll() == SANITIZER_EXIT_CODE:
                return [f"{self.name}: exited with {SANITIZER_EXIT_CODE}, the sanitizers' exit code:\n"
                        f"{tail(self.stderr_path, 120)}"]
            return []
        return [f"{self.name}: sanitizer report in stderr ({', '.join(found)}):\n{tail(self.stderr_path, 120)}"]

    def log_records(self):
        """stdout parsed as JSON lines (lines that are not JSON are skipped)."""
        import json
        records = []
        for line in self.stdout().splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                records.append(rec)
        return records

    def describe_logs(self, lines=60):
        return (f"=== {self.name} pid={self.pid} port={self.port} health={self.health_port} "
                f"rc={self.proc.poll() if self.proc else None}\n"
                f"--- stderr ({self.stderr_path}) ---\n{tail(self.stderr_path, lines)}\n"
                f"--- stdout ({self.stdout_path}) ---\n{tail(self.stdout_path, lines)}\n")


def _read(path):
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
