"""The compatibility oracle's machinery: the corpus of before/after pairs, `buf breaking` as the
reference verdict, the Spoke checker's verdict, and the list of accepted divergences in
docs/compatibility.md. The tests in test_buf_oracle.py compare these."""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

COMPAT_DIR = Path(__file__).resolve().parent
REPO_ROOT = COMPAT_DIR.parent.parent
CORPUS_DIR = COMPAT_DIR / "corpus"
DOCS_FILE = REPO_ROOT / "docs" / "compatibility.md"
DIVERGENCE_HEADING = "## Divergences from buf"

CATEGORIES = ("WIRE", "WIRE_JSON")
BREAKING, COMPATIBLE, ERROR = "breaking", "compatible", "error"
PAIR_ID = re.compile(r"^\d{3}-[a-z0-9]+(-[a-z0-9]+)*$")
# buf breaking's exit code when it found violations (bufctl.ExitCodeFileAnnotation).
BUF_EXIT_VIOLATIONS = 100
COMMAND_TIMEOUT_S = 60


@dataclass
class Pair:
    id: str
    path: Path
    meta: dict

    @property
    def before(self) -> Path:
        return self.path / "before"

    @property
    def after(self) -> Path:
        return self.path / "after"


def corpus_pair_ids() -> list[str]:
    """Every directory of the corpus, sorted (a malformed one still gets its tests, which fail)."""
    if not CORPUS_DIR.is_dir():
        return []
    return sorted(p.name for p in CORPUS_DIR.iterdir() if p.is_dir())


def load_pair(pair_id: str) -> Pair:
    path = CORPUS_DIR / pair_id
    with open(path / "meta.json", encoding="utf-8") as f:
        return Pair(pair_id, path, json.load(f))


def proto_files(root: Path) -> list[str]:
    """Paths of the .proto files under root, relative to it (as import paths), sorted."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.proto"))


@dataclass
class Verdict:
    """One checker's answer for one pair in one category."""

    verdict: str  # BREAKING, COMPATIBLE or ERROR
    rules: set = field(default_factory=set)  # rule IDs that made it BREAKING
    detail: str = ""  # raw output, for failure messages


# ------------------------------------------------------------------------------------------ buf


def buf_rule_catalogue(buf_bin: str) -> dict:
    """{rule_id: [categories]} for every v2 breaking rule of this buf, deprecated ones included."""
    out = subprocess.run(
        [buf_bin, "config", "ls-breaking-rules", "--version", "v2", "--format", "json",
         "--include-deprecated"],
        capture_output=True, text=True, check=True, timeout=COMMAND_TIMEOUT_S,
    ).stdout
    rules = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {r["id"]: r.get("categories") or [] for r in rules}


def run_buf(buf_bin: str, pair: Pair, category: str, scratch: Path) -> Verdict:
    """`buf breaking after --against before` with a buf.yaml selecting only `category`.

    Each side is copied with its own buf.yaml so that each is a module root of its own: buf's
    inline --config would instead place the module at the working directory."""
    work = scratch / category / pair.id
    shutil.rmtree(work, ignore_errors=True)
    config = f"version: v2\nbreaking:\n  use:\n    - {category}\n"
    for side in ("before", "after"):
        shutil.copytree(pair.path / side, work / side)
        (work / side / "buf.yaml").write_text(config, encoding="utf-8")
    env = dict(os.environ, BUF_CACHE_DIR=str(scratch / "buf-cache"))
    proc = subprocess.run(
        [buf_bin, "breaking", str(work / "after"), "--against", str(work / "before"),
         "--error-format", "json"],
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, env=env, cwd=scratch,
    )
    detail = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    if proc.returncode == 0:
        return Verdict(COMPATIBLE, set(), detail)
    if proc.returncode != BUF_EXIT_VIOLATIONS:
        return Verdict(ERROR, set(), detail)
    try:
        annotations = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    except json.JSONDecodeError:
        return Verdict(ERROR, set(), detail)
    rules = {a.get("type", "") for a in annotations}
    # A file that does not compile is reported as an annotation too, with exit 100.
    if not annotations or "COMPILE" in rules or "" in rules:
        return Verdict(ERROR, rules, detail)
    return Verdict(BREAKING, rules, detail)


# ---------------------------------------------------------------------------------------- Spoke

LEVELS = ("error", "warning", "info")


@dataclass
class SpokeReport:
    """The Spoke checker's output for one pair (BACKWARD), or why there is none."""

    ok: bool
    report: dict | None
    detail: str

    def verdict(self, category: str) -> Verdict:
        if not self.ok:
            return Verdict(ERROR, set(), self.detail)
        # WIRE counts errors; WIRE_JSON also counts warnings (JSON-only breaks). Infos never count.
        levels = {"error"} if category == "WIRE" else {"error", "warning"}
        rules = {v["rule"] for v in self.report["violations"] if v["level"] in levels}
        count = self.report["error_count"]
        if category == "WIRE_JSON":
            count += self.report["warning_count"]
        return Verdict(BREAKING if count > 0 else COMPATIBLE, rules, self.detail)


def check_spoke_report(proc: subprocess.CompletedProcess) -> str:
    """Why the checker's output breaks its contract, or "" when it keeps it."""
    if proc.returncode not in (0, 1):
        return f"exit {proc.returncode} (0 = compatible, 1 = incompatible, 2 = error)"
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        return f"stdout is not JSON: {e}"
    if not isinstance(report, dict):
        return "stdout is not a JSON object"
    for key, kind in (("compatible", bool), ("error_count", int), ("warning_count", int),
                      ("violations", list)):
        if not isinstance(report.get(key), kind):
            return f"'{key}' missing or not {kind.__name__}"
    counts = dict.fromkeys(LEVELS, 0)
    for v in report["violations"]:
        if not isinstance(v, dict) or not isinstance(v.get("rule"), str) or v.get("level") not in LEVELS:
            return f"bad violation {v!r}: needs a 'rule' string and a 'level' in {LEVELS}"
        counts[v["level"]] += 1
    if (counts["error"], counts["warning"]) != (report["error_count"], report["warning_count"]):
        return (f"error_count/warning_count {report['error_count']}/{report['warning_count']} do not "
                f"match the violations' levels {counts['error']}/{counts['warning']}")
    if report["compatible"] != (report["error_count"] == 0):
        return f"'compatible' is {report['compatible']} with error_count {report['error_count']}"
    if proc.returncode != (0 if report["compatible"] else 1):
        return f"exit {proc.returncode} does not match 'compatible': {report['compatible']}"
    return ""


def run_spoke(spoke_bin: str, pair: Pair) -> SpokeReport:
    try:
        proc = subprocess.run(
            [spoke_bin, str(pair.before), str(pair.after), "--mode", "BACKWARD"],
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return SpokeReport(False, None, f"timed out after {COMMAND_TIMEOUT_S}s")
    detail = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    problem = check_spoke_report(proc)
    if problem:
        return SpokeReport(False, None, f"{problem}\n{detail}")
    return SpokeReport(True, json.loads(proc.stdout), detail)


# ------------------------------------------------------------------------ the divergence table


def divergence_table(text: str) -> dict:
    """{pair id: row cells} from the markdown table under DIVERGENCE_HEADING.

    Raises ValueError when the heading or the table's header row is missing."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == DIVERGENCE_HEADING)
    except StopIteration:
        raise ValueError(f"no '{DIVERGENCE_HEADING}' heading") from None
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break  # the table ends at the next heading of any level
        if line.strip().startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    if not rows or rows[0][0].lower() != "pair id":
        raise ValueError(f"no table with a 'pair id' first column under '{DIVERGENCE_HEADING}'")
    entries = {}
    for cells in rows[1:]:
        if all(set(c) <= set("-: ") for c in cells):
            continue  # the |---|---| separator
        entries[cells[0].strip("`")] = cells
    return entries
