"""Fixtures for the fault tests: the backing servers of this file (from services.sh), a fresh
database per test, spoke-server processes configured for the postgres storage type, and the same
failure rules as the integration suite (sanitizer reports, unclean exits, logs on failure).

Each test file runs under its own `services.sh run --with-standby --with-s3` (see run.sh), because
the tests kill, freeze and promote those servers."""

import os
import signal
import sys

import pytest

FAULTS_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(FAULTS_DIR)
REPO_DIR = os.path.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)

from harness.spoke_process import ALL_PROCESSES, SpokeProcess  # noqa: E402

from backing_services import BackingServices  # noqa: E402


def _interrupt_on_sigterm(signum, frame):
    # run.sh's time limit and services.sh forward SIGTERM: turn it into KeyboardInterrupt so that
    # pytest still runs fixture teardown and no spoke-server or frozen server is left behind.
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


@pytest.fixture(scope="session")
def spoke_bin():
    path = os.environ.get("SPOKE_SERVER_BIN", os.path.join(REPO_DIR, "build", "spoke-server"))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"spoke-server binary not found at {path} (set SPOKE_SERVER_BIN)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def services():
    try:
        s = BackingServices()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield s
    s.close()


@pytest.fixture
def database(services):
    """A fresh database (replicated to the standby) for this test only."""
    return services.create_database()


@pytest.fixture
def spawn_spoke(spoke_bin, tmp_path):
    """Factory: spawn_spoke(env, name=None, start=True, ready_timeout_s=30) -> SpokeProcess.
    Every process is stopped at teardown; a non-zero exit after SIGTERM, a process that is still
    there, or a sanitizer report fails the test."""
    started = []

    def make(env, name=None, start=True, ready_timeout_s=30.0):
        name = name or f"spoke{len(started) + 1}"
        workdir = tmp_path / name
        workdir.mkdir(exist_ok=True)
        p = SpokeProcess(spoke_bin, workdir, env=env, name=name)
        started.append(p)
        if start:
            p.start(ready_timeout_s=ready_timeout_s)
        return p

    yield make
    problems = []
    for p in started:
        problems.extend(p.stop())
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _watch_processes(request):
    """Remembers which servers a test started (for logs on failure) and fails it on a sanitizer
    report."""
    first_new = len(ALL_PROCESSES)
    request.node._spoke_processes = lambda: ALL_PROCESSES[first_new:]
    yield
    problems = []
    for p in ALL_PROCESSES[first_new:]:
        problems.extend(p.sanitizer_reports())
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    if hasattr(item, "_spoke_processes"):
        for p in item._spoke_processes():
            if p.stdout_path:
                report.sections.append((f"spoke logs: {p.name} ({report.when})", p.describe_logs()))
    services = item.funcargs.get("services") if hasattr(item, "funcargs") else None
    if services is not None:
        report.sections.append((f"backing server logs ({report.when})", services.log_tails()))
