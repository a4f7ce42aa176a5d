"""SPOKE_WORK_QUEUE bounds each kind of worker-pool work (compile, lint, compatibility, validate):
past it a request gets 503 UNAVAILABLE with Retry-After and a JSON error, nothing is half-done, and
a retry succeeds. The spoke_work_* metrics count what was admitted, refused and skipped."""

import concurrent.futures

from harness.spoke_api import SpokeClient, assert_error, files_list, metric, proto, scrape_metrics

# Enough messages that one compile keeps the single worker busy while the others arrive.
MESSAGES = 1500
ATTEMPTS = 5


def big_schema(package):
    body = "\n".join(f"message M{i} {{ int64 a = 1; string b = 2; repeated M{i} c = 3; }}"
                     for i in range(MESSAGES))
    return {f"{package}/big.proto": proto(package, body)}


def concurrently(url, calls, token=None):
    """Runs each call(client) on its own connection (with `token`, if given) at once; their
    responses in order."""
    def run(call):
        c = SpokeClient(url, token=token)
        try:
            return call(c)
        finally:
            c.close()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def assert_refused(r):
    assert_error(r, 503, "UNAVAILABLE")
    assert r.headers.get("Retry-After") == "1", dict(r.headers)


def test_validate_past_the_work_queue_is_503_with_retry_after(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_WORK_QUEUE": "1", "SPOKE_WORKER_THREADS": "1"})
    c, health = SpokeClient(p.url), SpokeClient(p.health_url)
    body = {"files": files_list(big_schema("wq"))}
    refused = []
    for _ in range(ATTEMPTS):
        responses = concurrently(p.url, [lambda cl: cl.post("/validate", json=body)] * 8)
        for r in responses:
            if r.status_code == 503:
                assert_refused(r)
                refused.append(r)
            else:
                assert r.status_code == 200, r.text[:500]
                assert r.json()["valid"] is True
        if refused:
            break
    assert refused, "no validate was refused with SPOKE_WORK_QUEUE=1"
    # The refusal is not sticky: the same request succeeds once the queue has room.
    r = c.post("/validate", json=body)
    assert r.status_code == 200, r.text[:500]
    samples = scrape_metrics(health)
    assert metric(samples, "spoke_work_rejected_total", kind="validate") >= len(refused)
    assert metric(samples, "spoke_work_inflight", kind="validate") == 0
    for kind in ("compile", "lint", "compatibility", "validate"):
        assert ("spoke_work_skipped_total", (("kind", kind),)) in samples, kind


def test_pushes_past_the_work_queue_are_refused_whole_and_succeed_on_retry(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_WORK_QUEUE": "1", "SPOKE_WORKER_THREADS": "1"})
    c, health = p.client(), SpokeClient(p.health_url)
    modules = [c.new_module("wq") for _ in range(8)]
    files = {m: big_schema("wq") for m in modules}
    refused = set()
    for attempt in range(ATTEMPTS):
        version = f"1.0.{attempt}"
        calls = [lambda cl, m=m, v=version: (m, v, cl.push(m, v, files[m])) for m in modules]
        for module, v, r in concurrently(p.url, calls, token=p.admin_token):
            if r.status_code == 503:
                assert_refused(r)
                refused.add((module, v))
                # Nothing of a refused push was stored.
                assert c.get(f"/modules/{module}/versions/{v}").status_code == 404
            else:
                assert r.status_code == 201, r.text[:500]
        if refused:
            break
    assert refused, "no push was refused with SPOKE_WORK_QUEUE=1"
    # No data lost: each refused push succeeds when retried, and reads back.
    for module, v in sorted(refused):
        r = c.push(module, v, files[module])
        assert r.status_code == 201, r.text[:500]
        got = c.get(f"/modules/{module}/versions/{v}")
        assert got.status_code == 200, got.text[:500]
        assert {f["path"]: f["content"] for f in got.json()["files"]} == files[module]
    samples = scrape_metrics(health)
    rejected = sum(metric(samples, "spoke_work_rejected_total", kind=k)
                   for k in ("compile", "lint", "compatibility"))
    assert rejected >= len(refused)
    assert metric(samples, "spoke_work_inflight", kind="compile") == 0
