"""The Confluent Schema Registry dialect (docs/confluent.md) end to end through a real client: the
npm package @kafkajs/confluent-schema-registry, pinned and installed by
tests/harness/confluent_client.sh, drives confluent_client/client_test.js against a spoke-server
(references, ids, the wire format, compatibility levels, a 409, lookup by schema). Nothing is
skipped: a failed install fails the test."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "tests" / "harness" / "confluent_client.sh"
CLIENT_TEST = Path(__file__).resolve().parent / "confluent_client" / "client_test.js"
INSTALL_TIMEOUT_S = 660  # the script waits up to 330 s for another run's install, then installs
CLIENT_TIMEOUT_S = 120


def _output(proc):
    return f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


@pytest.fixture(scope="session")
def client_prefix():
    """The npm prefix holding @kafkajs/confluent-schema-registry (installed on first use)."""
    if shutil.which("node") is None:
        pytest.fail("no node (scripts/install-deps.sh --test installs nodejs)", pytrace=False)
    proc = subprocess.run([str(INSTALL)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=INSTALL_TIMEOUT_S)
    if proc.returncode != 0:
        pytest.fail(f"{INSTALL} failed ({proc.returncode})\n{_output(proc)}", pytrace=False)
    prefix = proc.stdout.strip()
    assert os.path.isdir(os.path.join(prefix, "node_modules")), _output(proc)
    return prefix


def test_kafkajs_client_registers_encodes_and_checks_compatibility(spawn_spoke, client_prefix):
    p = spawn_spoke()
    env = dict(os.environ, NODE_PATH=os.path.join(client_prefix, "node_modules"),
               SPOKE_CONFLUENT_TOKEN=p.admin_token)
    try:
        proc = subprocess.run(["node", str(CLIENT_TEST), p.url], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, cwd=CLIENT_TEST.parent)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else e.stdout
        err = e.stderr.decode("utf-8", "replace") if isinstance(e.stderr, bytes) else e.stderr
        pytest.fail(f"client_test.js did not finish within {CLIENT_TIMEOUT_S}s\n"
                    f"--- stdout ---\n{out}\n--- stderr ---\n{err}", pytrace=False)
    assert proc.returncode == 0, f"client_test.js exited with {proc.returncode}\n{_output(proc)}"
    assert "steps passed" in proc.stdout, _output(proc)
