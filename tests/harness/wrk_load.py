"""wrk as a background load that runs until stopped (SIGINT makes wrk print its report), so a
test's load covers whatever it does meanwhile however slow the server under test is to restart
(sanitizer builds take tens of seconds)."""

import re
import signal
import subprocess

SCALE_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


class WrkLoad:
    def __init__(self, url, connections=16, request_timeout_s=120):
        # -d is only an upper bound: stop() ends the run.
        self.proc = subprocess.Popen(
            ["wrk", "-t1", f"-c{connections}", "-d600s", "--latency",
             "--timeout", f"{request_timeout_s}s", url],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output = ""

    def stop(self):
        """Ends the run; returns {errors, non2xx, requests, p99_ms} and keeps the raw report."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.output, _ = self.proc.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.output, _ = self.proc.communicate()
        return report(self.output)


def report(output):
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    return {"errors": sum(int(g) for g in sock.groups()) if sock else 0,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "requests": int(total.group(1)) if total else 0,
            "p99_ms": float(p99.group(1)) * SCALE_MS[p99.group(2)] if p99 else None}
