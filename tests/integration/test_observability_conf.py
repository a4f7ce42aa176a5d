"""The shipped monitoring configuration: conf/prometheus/alerts.yml passes `promtool check rules`
and its unit tests (tests/prometheus/alerts_test.yml), every alert's runbook exists in
docs/operations.md, and every metric the alerts and the Grafana dashboard (conf/grafana/spoke.json)
query is one a live server on PostgreSQL + S3 + Redis exposes."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from harness.spoke_api import proto, scrape_metrics
from harness.spoke_api import SpokeClient

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALERTS = os.path.join(REPO, "conf", "prometheus", "alerts.yml")
ALERT_TESTS = os.path.join(REPO, "tests", "prometheus", "alerts_test.yml")
DASHBOARD = os.path.join(REPO, "conf", "grafana", "spoke.json")
OPERATIONS = os.path.join(REPO, "docs", "operations.md")
METRIC = re.compile(r"\b((?:spoke|process)_[a-z0-9_]+)")


def promtool(*args):
    tool = shutil.which("promtool")
    assert tool, "promtool missing: scripts/install-deps.sh --test installs Debian's prometheus"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120, cwd=REPO)


def alert_rules():
    with open(ALERTS) as f:
        return [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]


def dashboard_queries():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    return dash, [t["expr"] for p in dash["panels"] for t in p["targets"]]


def anchors(markdown_path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    with open(markdown_path) as f:
        headings = [line.lstrip("#").strip() for line in f if re.match(r"^#{1,6} ", line)]
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def test_the_rules_pass_promtool_check():
    r = promtool("check", "rules", ALERTS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in r.stdout, r.stdout


def test_the_rules_pass_their_unit_tests():
    r = promtool("test", "rules", ALERT_TESTS)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_alert_is_unit_tested_and_has_a_runbook():
    with open(ALERT_TESTS) as f:
        tests = yaml.safe_load(f)["tests"]
    tested = {t["alertname"] for group in tests for t in group.get("alert_rule_test", [])
              if t.get("exp_alerts")}
    known = anchors(OPERATIONS)
    for rule in alert_rules():
        name = rule["alert"]
        assert name in tested, f"{name}: no promtool test expects it to fire"
        url = rule["annotations"]["runbook_url"]
        path, _, anchor = url.partition("#")
        assert path == "docs/operations.md" and anchor in known, f"{name}: no runbook at {url}"
        assert rule["labels"]["severity"] in ("critical", "warning"), name


def test_the_dashboard_is_well_formed():
    dash, queries = dashboard_queries()
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 15
    assert all(METRIC.search(q) for q in queries), "a panel queries no Spoke metric"
    for p in dash["panels"]:
        assert p["targets"] and p["title"], p


@pytest.mark.postgres_only("the dependency, pool and Redis metrics exist only there")
@pytest.mark.skipif(not os.environ.get("REDIS_SENTINEL_URL"),
                    reason="needs `services.sh run --with-sentinel` (REDIS_* variables)")
def test_every_queried_metric_is_exposed(spawn_spoke):
    server = spawn_spoke(env={"SPOKE_REDIS_URL": os.environ["REDIS_SENTINEL_URL"],
                              "SPOKE_RATE_LIMIT": "1000/m:100"})
    client = server.client()
    module = client.new_module("obs")
    client.push_ok(module, "1.0.0", {"a.proto": proto("obs.v1")})
    assert client.get(f"/modules/{module}").status_code == 200
    health = SpokeClient(server.health_url)
    exposed = {name for name, _ in scrape_metrics(health)}
    health.close()
    client.close()
    _, queries = dashboard_queries()
    queries += [r["expr"] for r in alert_rules()]
    wanted = {m for q in queries for m in METRIC.findall(q)}
    missing = sorted(wanted - exposed)
    assert not missing, f"queried but not exposed: {missing}"
