"""Fixtures of the compatibility oracle: the buf binary and its verdicts, the Spoke checker and
its reports, computed once per session for the selected pairs, in parallel."""

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import oracle

# buf and the checker are separate processes; threads only wait on them.
WORKERS = max(2, os.cpu_count() or 2)
_timings = {}  # what -> (runs, seconds), for the closing summary


class LazyResults(dict):
    """Results prefilled in parallel for the selected pairs; any other key (e.g. a pair that only
    the divergence table names) is computed on first use."""

    def __init__(self, compute):
        super().__init__()
        self._compute = compute

    def __missing__(self, key):
        self[key] = self._compute(key)
        return self[key]


def _selected_pair_ids(session) -> list[str]:
    ids = {item.callspec.params["pair_id"] for item in session.items
           if hasattr(item, "callspec") and "pair_id" in item.callspec.params}
    return sorted(ids)


@pytest.fixture(scope="session")
def buf_bin() -> str:
    """BUF_BIN (run.sh sets it), else whatever install_buf.sh installs and prints."""
    path = os.environ.get("BUF_BIN")
    if not path:
        proc = subprocess.run([str(oracle.COMPAT_DIR / "install_buf.sh")], capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, f"install_buf.sh failed:\n{proc.stderr}"
        path = proc.stdout.strip().splitlines()[-1]
    assert os.access(path, os.X_OK), f"no buf binary at {path}"
    return path


@pytest.fixture(scope="session")
def rule_catalogue(buf_bin) -> dict:
    return oracle.buf_rule_catalogue(buf_bin)


@pytest.fixture(scope="session")
def category_rules(rule_catalogue) -> dict:
    """{"WIRE": {rule ids}, "WIRE_JSON": {rule ids}} as this buf defines the categories."""
    return {c: {r for r, cats in rule_catalogue.items() if c in cats} for c in oracle.CATEGORIES}


@pytest.fixture(scope="session")
def buf_verdicts(request, buf_bin, tmp_path_factory) -> dict:
    """{(pair id, category): Verdict}: every selected pair in both categories, others on demand."""
    scratch = tmp_path_factory.mktemp("buf")

    def compute(key):
        pair_id, category = key
        return oracle.run_buf(buf_bin, oracle.load_pair(pair_id), category, scratch)

    verdicts = LazyResults(compute)
    jobs = []
    for pair_id in _selected_pair_ids(request.session):
        try:
            oracle.load_pair(pair_id)
        except (OSError, ValueError):
            continue  # test_pair_is_well_formed reports it
        jobs += [(pair_id, category) for category in oracle.CATEGORIES]
    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        verdicts.update(zip(jobs, pool.map(compute, jobs)))
    _timings["buf breaking"] = (len(jobs), time.monotonic() - started)
    return verdicts


def _spoke_bin_or_reason() -> tuple[str | None, str]:
    path = os.environ.get("SPOKE_COMPAT_BIN", "")
    if not path:
        return None, "SPOKE_COMPAT_BIN is not set (the Spoke checker is not built yet)"
    if not os.access(path, os.X_OK):
        return None, f"SPOKE_COMPAT_BIN={path} does not exist or is not executable"
    return path, ""


@pytest.fixture(scope="session")
def spoke_reports(request) -> dict:
    """{pair id: SpokeReport}: every selected pair, others on demand. Skips the requesting test
    when there is no checker binary, unless SPOKE_COMPAT_REQUIRE=1 (then it fails)."""
    path, reason = _spoke_bin_or_reason()
    if path is None:
        if os.environ.get("SPOKE_COMPAT_REQUIRE") == "1":
            pytest.fail(f"{reason}, and SPOKE_COMPAT_REQUIRE=1")
        pytest.skip(f"ours-vs-buf comparison skipped: {reason}")
    def compute(pair_id):
        return oracle.run_spoke(path, oracle.load_pair(pair_id))

    reports = LazyResults(compute)
    pair_ids = []
    for pair_id in _selected_pair_ids(request.session):
        try:
            oracle.load_pair(pair_id)
        except (OSError, ValueError):
            continue
        pair_ids.append(pair_id)
    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        reports.update(zip(pair_ids, pool.map(compute, pair_ids)))
    _timings["spoke checker"] = (len(pair_ids), time.monotonic() - started)
    return reports


@pytest.fixture(scope="session")
def divergences() -> dict:
    """{pair id: row} from docs/compatibility.md's divergence table."""
    return oracle.divergence_table(oracle.DOCS_FILE.read_text(encoding="utf-8"))


def pytest_terminal_summary(terminalreporter):
    for what, (runs, seconds) in _timings.items():
        terminalreporter.write_line(
            f"compat oracle: {runs} {what} runs in {seconds:.1f} s ({WORKERS} in parallel)")
