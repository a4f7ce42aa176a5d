"""Fixtures for the end-to-end suite: spoke-server processes on loopback, clients, log capture on failure,
sanitizer-report detection, and the storage backend under test (SPOKE_TEST_STORAGE; tests marked
filesystem_only or postgres_only are skipped on the other backend)."""

import os
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)

from harness.spoke_api import SpokeClient  # noqa: E402
from harness.spoke_process import ALL_PROCESSES, SpokeProcess, storage_under_test  # noqa: E402


def pytest_configure(config):
    try:
        storage_under_test()
    except ValueError as e:
        raise pytest.UsageError(str(e))


def pytest_report_header(config):
    return f"spoke storage backend: {storage_under_test()} (SPOKE_TEST_STORAGE)"


def pytest_collection_modifyitems(config, items):
    """Skips the tests of one backend's own behaviour when another backend is under test."""
    storage = storage_under_test()
    for item in items:
        for name, backend in (("filesystem_only", "filesystem"), ("postgres_only", "postgres")):
            marker = item.get_closest_marker(name)
            if marker and storage != backend:
                why = marker.args[0] if marker.args else f"tests the {backend} backend itself"
                reason = f"{backend} backend only (SPOKE_TEST_STORAGE={storage}): {why}"
                item.add_marker(pytest.mark.skip(reason=reason))


def server_binary():
    return os.environ.get("SPOKE_SERVER_BIN", os.path.join(REPO_DIR, "build", "spoke-server"))


@pytest.fixture(scope="session")
def spoke_bin():
    path = server_binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"spoke-server binary not found at {path} (set SPOKE_SERVER_BIN)", pytrace=False)
    return path


def _check_problems(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def spawn_spoke(spoke_bin, tmp_path):
    """Factory: spawn_spoke(env={...}, root=path, start=True, name=...) -> SpokeProcess.
    Every process is stopped at teardown; a non-zero exit after SIGTERM, a process that is still
    there, or a sanitizer report fails the test."""
    started = []

    def make(env=None, root=None, start=True, name=None):
        name = name or f"spoke{len(started) + 1}"
        workdir = tmp_path / name
        workdir.mkdir(exist_ok=True)
        p = SpokeProcess(spoke_bin, workdir, root=root, env=env, name=name)
        started.append(p)
        if start:
            p.start()
        return p

    yield make
    problems = []
    for p in started:
        problems.extend(p.stop())
    _check_problems(problems)


@pytest.fixture(scope="module")
def module_spoke(spoke_bin, tmp_path_factory, request):
    """One server shared by the tests of a file (each test uses its own module names)."""
    workdir = tmp_path_factory.mktemp(request.module.__name__.replace("test_", "srv_"))
    p = SpokeProcess(spoke_bin, workdir, name="shared")
    p.start()
    yield p
    _check_problems(p.stop())


@pytest.fixture
def api(module_spoke):
    """A client of the shared server with its admin token (writes need one)."""
    c = module_spoke.client()
    yield c
    c.close()


@pytest.fixture
def anon(module_spoke):
    """A client of the shared server without a credential."""
    c = module_spoke.client(token=None)
    yield c
    c.close()


@pytest.fixture
def health(module_spoke):
    c = SpokeClient(module_spoke.health_url)
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _watch_processes(request):
    """Remembers which servers a test saw (for logs on failure) and fails it on a sanitizer report."""
    first_new = len(ALL_PROCESSES)
    running = [p for p in ALL_PROCESSES if p.running()]
    request.node._spoke_processes = lambda: running + ALL_PROCESSES[first_new:]
    yield
    problems = []
    for p in running + ALL_PROCESSES[first_new:]:
        problems.extend(p.sanitizer_reports())
    _check_problems(problems)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and hasattr(item, "_spoke_processes"):
        for p in item._spoke_processes():
            if p.stdout_path:
                report.sections.append((f"spoke logs: {p.name} ({report.when})", p.describe_logs()))
