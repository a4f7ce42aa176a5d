"""A real NGINX on loopback in front of Spoke instances, configured from conf/nginx/spoke.conf
with the upstream addresses and the listen port replaced. Stopped (and its logs kept) by stop()."""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

from harness.spoke_process import HOST, free_port

ROOT = Path(__file__).resolve().parents[2]


def site_config(upstreams, port):
    """conf/nginx/spoke.conf for these upstream (host, port) pairs, listening on HOST:port."""
    text = (ROOT / "conf" / "nginx" / "spoke.conf").read_text()
    params = re.search(r"    server 10\.0\.0\.\d+:8080 ([^;]*);", text).group(1)
    servers = "".join(f"    server {h}:{p} {params};\n" for h, p in upstreams)
    text, n = re.subn(r"(    server 10\.0\.0\.\d+:8080 [^\n]*\n)+", servers, text)
    assert n == 1, "conf/nginx/spoke.conf: the upstream block changed shape"
    text, n = re.subn(r"listen 80;", f"listen {HOST}:{port};", text)
    assert n == 1
    return text


class NginxProxy:
    def __init__(self, workdir, upstreams):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        (self.dir / "spoke.conf").write_text(site_config(upstreams, self.port))
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.dir}/nginx.pid;\n"
            f"error_log {self.dir}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"    access_log {self.dir}/access.log;\n"
            + "".join(f"    {kind}_temp_path {self.dir}/{kind}_temp;\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"    include {self.dir}/spoke.conf;\n}}\n")
        self.proc = None

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def start(self):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            [binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "wb"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.logs()
            try:
                requests.get(self.url + "/health/live", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError("nginx did not start\n" + self.logs())

    def logs(self):
        out = []
        for name in ("stderr.log", "error.log"):
            path = self.dir / name
            if path.exists():
                out.append(f"--- nginx {name} ---\n" + path.read_text()[-4000:])
        return "\n".join(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
