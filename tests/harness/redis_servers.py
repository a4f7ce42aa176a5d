"""The Redis servers and sentinels of `tests/harness/services.sh run --with-redis` (or
`--with-sentinel`), and the faults a test can inflict on them: SIGSTOP/SIGCONT, kill -9, restart,
and waiting for a Sentinel failover. Stdlib only: commands go over a tiny RESP client.

Ports come from the environment services.sh exports (REDIS_PORT, REDIS_REPLICA_PORT,
REDIS_SENTINEL_PORTS, SERVICES_DIR). Every Redis process NAME (redis, redis-replica,
redis-sentinel-1..3) has SERVICES_DIR/NAME.pid, .port, .cmdline (its argv, NUL-separated) and .log.

The servers services.sh started are its children: it reaps and stops them. A restarted server is
our own child (PID 1 on the test machines does not reap orphans): its PID goes into the same pid
file, so `services.sh down` stops it even if we die, but close() (run at exit) stops and reaps it
first, and thaws whatever pause() froze (a stopped process holds SIGTERM until SIGCONT)."""

import atexit
import os
import signal
import socket
import subprocess
import time

HOST = "127.0.0.1"
MASTER_NAME = os.environ.get("REDIS_MASTER_NAME", "spoke")
COMMAND_TIMEOUT_S = 5.0
WAIT_TIMEOUT_S = 10.0

_restarted = {}  # pid -> Popen: servers restart() started, our children
_paused = set()  # pids pause() stopped and resume() has not continued


class RedisError(Exception):
    """An error reply (`-ERR ...`, `-LOADING ...`) from a server or sentinel."""


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run under `tests/harness/services.sh run --with-redis` "
                           "(or --with-sentinel)")
    return value


def services_dir():
    """The services.sh DIR holding the pid, port, cmdline and log files."""
    return _env("SERVICES_DIR")


def redis_port():
    """Port of the server started by --with-redis (the first master)."""
    return int(_env("REDIS_PORT"))


def replica_port():
    """Port of the replica started by --with-sentinel."""
    return int(_env("REDIS_REPLICA_PORT"))


def sentinel_ports():
    """Ports of the three sentinels started by --with-sentinel."""
    return [int(p) for p in _env("REDIS_SENTINEL_PORTS").split(",")]


# ---- RESP ---------------------------------------------------------------------------------------
def _read_reply(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError(f"connection closed mid-reply (got {line!r})")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode(errors="replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("connection closed mid-reply")
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise ConnectionError(f"not a RESP2 reply: {line!r}")


def call(port, *args, timeout=COMMAND_TIMEOUT_S):
    """Sends one command to 127.0.0.1:PORT; returns the reply (str, int, None or list) or raises RedisError."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(b"".join(parts))
        with sock.makefile("rb") as f:
            return _read_reply(f)


def _text(reply):
    if reply is None:
        return ""
    if isinstance(reply, list):
        return "\n".join(_text(r) for r in reply)
    return str(reply)


def redis_cli(port, *args, timeout=COMMAND_TIMEOUT_S):
    """Runs one command like `redis-cli -p PORT ARGS...` (raw output: one line per array element)."""
    return _text(call(port, *args, timeout=timeout))


def answers(port, timeout=1.0):
    """True when the server or sentinel on PORT answers PING with PONG."""
    try:
        return call(port, "PING", timeout=timeout) == "PONG"
    except (OSError, RedisError):
        return False


# ---- processes ----------------------------------------------------------------------------------
def _alive(pid):
    """True while pid exists and is not a zombie (kill -0 succeeds on zombies)."""
    state = _state(pid)
    return state is not None and state != "Z"


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def _path(name, ext):
    return os.path.join(services_dir(), f"{name}.{ext}")


def _name_of(port):
    d = services_dir()
    for entry in sorted(os.listdir(d)):
        if entry.endswith(".port"):
            with open(os.path.join(d, entry)) as f:
                if f.read().strip() == str(port):
                    return entry[:-len(".port")]
    raise LookupError(f"services.sh started no Redis process on :{port} (no {d}/*.port holds it)")


def pid_of(port):
    """PID of the Redis server or sentinel on PORT, from services.sh's pid file SERVICES_DIR/NAME.pid."""
    with open(_path(_name_of(port), "pid")) as f:
        return int(f.read().strip())


def pause(port):
    """SIGSTOPs the process on PORT and waits until it is stopped: clients then hang, not fail."""
    pid = pid_of(port)
    os.kill(pid, signal.SIGSTOP)
    _paused.add(pid)
    _wait_for(lambda: _state(pid) in ("T", None, "Z"), WAIT_TIMEOUT_S, f"pid {pid} to stop")
    return time.monotonic()


def resume(port):
    """SIGCONTs the process on PORT that pause() stopped."""
    pid = pid_of(port)
    os.kill(pid, signal.SIGCONT)
    _paused.discard(pid)
    _wait_for(lambda: _state(pid) != "T", WAIT_TIMEOUT_S, f"pid {pid} to continue")
    return time.monotonic()


def kill(port, timeout=WAIT_TIMEOUT_S):
    """SIGKILLs the process on PORT and waits until it is gone; returns time.monotonic() of the kill."""
    pid = pid_of(port)
    t = time.monotonic()
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _paused.discard(pid)
    proc = _restarted.pop(pid, None)
    if proc is not None:
        proc.wait(timeout=timeout)  # our child: reap it
    else:
        _wait_for(lambda: not _alive(pid), timeout, f"pid {pid} (:{port}) to die")
    return t


def restart(port, timeout=WAIT_TIMEOUT_S):
    """Starts the process on PORT again with services.sh's command line (killing it first if it runs)."""
    name = _name_of(port)
    try:
        if _alive(pid_of(port)):
            kill(port)
    except FileNotFoundError:
        pass  # close() stopped an earlier restart and removed its pid file
    with open(_path(name, "cmdline")) as f:
        argv = f.read().split("\0")[:-1]  # each arg ends in NUL; keeps empty ones (--save '')
    with open(_path(name, "log"), "ab") as log:
        proc = subprocess.Popen(argv, cwd=services_dir(), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    _restarted[proc.pid] = proc
    pid_file = _path(name, "pid")
    with open(pid_file + ".tmp", "w") as f:
        f.write(f"{proc.pid}\n")
    os.replace(pid_file + ".tmp", pid_file)
    deadline = time.monotonic() + timeout
    while not answers(port):
        if proc.poll() is not None:
            raise RuntimeError(f"restarted {name} exited with {proc.returncode}; see {_path(name, 'log')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"restarted {name} not answering on :{port} after {timeout}s")
        time.sleep(0.02)
    return proc.pid


# ---- Sentinel -----------------------------------------------------------------------------------
def sentinel_master(sentinel_port):
    """(host, port) of the master the sentinel on SENTINEL_PORT currently names."""
    reply = call(sentinel_port, "SENTINEL", "get-master-addr-by-name", MASTER_NAME)
    if not reply:
        raise LookupError(f"sentinel :{sentinel_port} does not monitor {MASTER_NAME}")
    return reply[0], int(reply[1])


def wait_failover(old_port, timeout=15.0, sentinels=None):
    """Waits until every sentinel names one and the same master other than OLD_PORT; returns its port."""
    ports = sentinels if sentinels is not None else sentinel_ports()
    deadline = time.monotonic() + timeout
    while True:
        seen = {}
        for p in ports:
            try:
                seen[p] = sentinel_master(p)[1]
            except (OSError, RedisError, LookupError) as e:
                seen[p] = repr(e)
        masters = set(seen.values())
        if len(masters) == 1:
            new = masters.pop()
            if isinstance(new, int) and new != old_port:
                return new
        if time.monotonic() > deadline:
            raise TimeoutError(f"no failover from :{old_port} after {timeout}s; sentinels name {seen}")
        time.sleep(0.05)


# ---- teardown -----------------------------------------------------------------------------------
def close():
    """Thaws what pause() froze, then stops and reaps every server restart() started."""
    for pid in list(_paused):
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    _paused.clear()
    for pid, proc in list(_restarted.items()):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=WAIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=WAIT_TIMEOUT_S)
        del _restarted[pid]
        _forget_pid_file(pid)


def _forget_pid_file(pid):
    # A stopped server's pid file would name a PID the system may hand out again.
    d = os.environ.get("SERVICES_DIR", "")
    try:
        for entry in os.listdir(d):
            if entry.endswith(".pid"):
                path = os.path.join(d, entry)
                with open(path) as f:
                    if f.read().strip() == str(pid):
                        os.remove(path)
    except OSError:
        pass  # DIR is gone already (`services.sh down` ran first)


atexit.register(close)
