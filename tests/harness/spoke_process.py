"""SpokeProcess: one spoke-server child process on loopback, with its ports, data root and logs.

Every wait has a deadline; every process started is stopped and reaped (PID 1 on the test machines
does not reap orphans, so a server that is not our child would linger as a zombie)."""

import os
import random
import signal
import socket
import subprocess
import time

import requests

HOST = "127.0.0.1"
# The ephemeral range starts at 32768: a polling client can self-connect to a closed port there.
PORT_RANGE = (20000, 32000)
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer", "ERROR: ThreadSanitizer")
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


class SpokeProcess:
    def __init__(self, binary, workdir, root=None, env=None, name="spoke"):
        self.binary = binary
        self.workdir = str(workdir)
        self.name = name
        self.root = str(root) if root else os.path.join(self.workdir, "data")
        os.makedirs(self.root, exist_ok=True)
        self.extra_env = dict(env or {})
        self.port = None
        self.health_port = None
        self.proc = None
        self.starts = 0
        self.stdout_path = None
        self.stderr_path = None
        self.expect_clean_exit = True
        self.final_returncode = None
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
        env.update(self.extra_env)
        return env

    # ---- lifecycle ---------------------------------------------------------------------------
    def spawn(self, keep_ports=False):
        """Starts the process without waiting for readiness."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if not keep_ports or self.port is None:
            self.port = free_port()
            self.health_port = free_port()
        self.starts += 1
        self.stdout_path = os.path.join(self.workdir, f"{self.name}.{self.starts}.stdout.log")
        self.stderr_path = os.path.join(self.workdir, f"{self.name}.{self.starts}.stderr.log")
        self.expect_clean_exit = True
        self.final_returncode = None
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([self.binary], env=self.env(), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd=self.workdir)
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
