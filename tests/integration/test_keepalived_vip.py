"""The virtual IP moves with readiness, on the real keepalived with the shipped configuration and
track script: two "nodes" are two network namespaces joined by a veth pair, each running
keepalived; each node's check asks its own Spoke (on this machine's loopback) for /health/ready.
The master's Spoke freezes: the address moves to the other node; it thaws: the address stays
(nopreempt). Skipped where this machine does not let the test create network namespaces."""

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "conf" / "keepalived" / "spoke-check.sh"
VIP = "10.201.0.100"


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def two_nodes():
    if shutil.which("keepalived") is None or shutil.which("nsenter") is None:
        pytest.skip("keepalived and nsenter are installed by scripts/install-deps.sh --test")
    tag = uuid.uuid4().hex[:6]
    nodes = [f"spoke-a-{tag}", f"spoke-b-{tag}"]
    r = ip("netns", "add", nodes[0], check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {r.stderr.strip()}")
    try:
        ip("netns", "add", nodes[1])
        ip("link", "add", "vka" + tag, "netns", nodes[0], "type", "veth", "peer", "name",
           "vkb" + tag, "netns", nodes[1])
        for i, (ns, dev) in enumerate(zip(nodes, ("vka" + tag, "vkb" + tag))):
            ip("-n", ns, "addr", "add", f"10.201.0.{i + 1}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield list(zip(nodes, ("vka" + tag, "vkb" + tag)))
    finally:
        for ns in nodes:
            ip("netns", "delete", ns, check=False)


def holders(nodes):
    return [ns for ns, dev in nodes if VIP in ip("-n", ns, "addr", "show", "dev", dev).stdout]


def wait_for(what, condition, timeout_s):
    t0 = time.monotonic()
    while not condition():
        assert time.monotonic() - t0 < timeout_s, what
        time.sleep(0.1)
    return time.monotonic() - t0


def node_config(tmp_path, name, dev, priority, server):
    """The shipped configuration with this node's interface, priority, address and check (which
    runs the shipped script in this machine's network namespace, where the Spoke instances are)."""
    wrapper = tmp_path / f"check-{name}.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec nsenter --net=/proc/{os.getpid()}/ns/net env "
        f"SPOKE_CHECK_URL={server.health_url}/health/ready SPOKE_CHECK_TIMEOUT=1 {CHECK}\n")
    wrapper.chmod(0o755)
    text = (ROOT / "conf" / "keepalived" / "keepalived.conf").read_text()
    for old, new in (("script_user spoke", "script_user root"),
                     ("/usr/lib/spoke/spoke-check.sh", str(wrapper)),
                     ("interface eth0", f"interface {dev}"),
                     ("priority 100", f"priority {priority}"),
                     ("192.0.2.10/24", f"{VIP}/24")):
        assert old in text, old
        text = text.replace(old, new)
    conf = tmp_path / f"keepalived-{name}.conf"
    conf.write_text(text)
    return conf


def test_the_virtual_ip_follows_readiness(two_nodes, spawn_spoke, tmp_path):
    servers = [spawn_spoke(name="node-a"), spawn_spoke(name="node-b")]
    keepaliveds = []
    try:
        a, b = (ns for ns, _ in two_nodes)
        # Node a comes up first and takes the address; node b joins as its backup. (Started
        # together, either may win: with nopreempt a later higher priority never takes over.)
        for (ns, dev), server, priority in zip(two_nodes, servers, (100, 90)):
            conf = node_config(tmp_path, ns, dev, priority, server)
            log = open(tmp_path / f"{ns}.log", "wb")
            keepaliveds.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, "keepalived", "--dont-fork", "--log-console",
                 "--vrrp", "-f", str(conf), "-p", str(tmp_path / f"{ns}.pid"),
                 "-r", str(tmp_path / f"{ns}.vrrp.pid")],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL))
            log.close()
            if ns == a:
                took = wait_for("node a never took the address",
                                lambda: holders(two_nodes) == [a], 30)
                print(f"VIP taken by node a in {took:.1f}s")
        time.sleep(4)  # node b hears node a's adverts and stays backup
        assert holders(two_nodes) == [a]

        servers[0].signal(signal.SIGSTOP)  # alive but silent: the check times out
        try:
            moved = wait_for("the address never moved to node b",
                             lambda: holders(two_nodes) == [b], 30)
            print(f"VIP moved {moved:.1f}s after node a's Spoke froze")
        finally:
            servers[0].signal(signal.SIGCONT)
        # Node a is ready again; nopreempt keeps the address where it is.
        time.sleep(6)
        assert holders(two_nodes) == [b]
    finally:
        for k in keepaliveds:
            k.send_signal(signal.SIGTERM)
        for k in keepaliveds:
            try:
                k.wait(15)
            except subprocess.TimeoutExpired:
                k.kill()
                k.wait(5)
