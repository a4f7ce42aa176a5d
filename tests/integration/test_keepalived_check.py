"""conf/keepalived/: the track script's verdict on a live, a draining, a frozen and a dead
instance, and keepalived's own parser on the configuration."""

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "conf" / "keepalived" / "spoke-check.sh"


def check(p, timeout_s="1"):
    env = dict(os.environ, SPOKE_CHECK_URL=f"{p.health_url}/health/ready",
               SPOKE_CHECK_TIMEOUT=timeout_s)
    t0 = time.monotonic()
    rc = subprocess.run([str(CHECK)], env=env, timeout=30).returncode
    return rc, time.monotonic() - t0


def test_live_instance_passes_and_dead_one_fails(spawn_spoke):
    p = spawn_spoke()
    assert check(p)[0] == 0
    p.stop()
    rc, took = check(p)
    assert rc == 1 and took < 5


def test_draining_instance_fails(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_SHUTDOWN_TIMEOUT": "10s"})
    slow = threading.Thread(target=lambda: requests.get(f"{p.url}/_test/slow?ms=3000", timeout=15))
    slow.start()
    time.sleep(0.3)
    p.signal(signal.SIGTERM)
    time.sleep(0.3)
    assert p.running(), "the drain should still hold the process"
    assert check(p)[0] == 1
    slow.join()
    assert p.wait_exit(15) == 0


def test_frozen_instance_fails_within_the_timeout(spawn_spoke):
    p = spawn_spoke()
    p.signal(signal.SIGSTOP)
    try:
        rc, took = check(p, timeout_s="1")
        assert rc == 1
        assert took < 3, f"the check took {took:.1f}s with a 1 s timeout"
    finally:
        p.signal(signal.SIGCONT)


@pytest.mark.skipif(shutil.which("keepalived") is None,
                    reason="keepalived is installed by scripts/install-deps.sh --test")
def test_keepalived_parses_the_configuration(tmp_path):
    def parse(text):
        conf = tmp_path / "keepalived.conf"
        conf.write_text(text)
        # keepalived 2.2.7 ends its config test by SIGTERM whatever it finds: judge by what it says.
        r = subprocess.run(["keepalived", "--config-test", "-f", str(conf)], capture_output=True,
                           text=True, timeout=30)
        return (r.stdout + r.stderr).replace("Terminated", "").strip()

    # The script user and path of this machine (the package creates `spoke` and installs the
    # script under /usr/lib/spoke).
    text = (ROOT / "conf" / "keepalived" / "keepalived.conf").read_text()
    text = text.replace("script_user spoke", "script_user nobody")
    text = text.replace("/usr/lib/spoke/spoke-check.sh", str(CHECK))
    assert parse(text) == ""
    assert "Unknown keyword 'intervall'" in parse(text.replace("interval 2", "intervall 2"))
