"""Concurrent pushes of one version: exactly one 201; the rest 200 (same content) or 409 (different)."""

import threading

import requests

from harness.spoke_api import assert_error, expected_digest, files_list, proto, unique

THREADS = 8


def race(url, bodies, headers):
    """POSTs every body at once (one thread each, released by a barrier) with `headers` (the
    credential); returns the responses."""
    barrier = threading.Barrier(len(bodies))
    out = [None] * len(bodies)

    def go(k):
        s = requests.Session()
        s.headers.update(headers)
        try:
            # Connect first so that the barrier releases requests, not handshakes.
            s.get(url.rsplit("/modules/", 1)[0] + "/modules", timeout=10)
            barrier.wait(timeout=10)
            out[k] = s.post(url, json=bodies[k], timeout=20)
        finally:
            s.close()

    threads = [threading.Thread(target=go, args=(k,)) for k in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(r is not None for r in out), "a racing push did not complete"
    return out


def files_for(tag):
    return {"race/r.proto": proto("race", f"message R {{ string f{tag} = 1; }}")}


def test_identical_concurrent_pushes_one_201_rest_200(api, module_spoke):
    for round_ in range(3):
        m = api.new_module("same")
        files = files_for("same")
        body = {"version": "1.0.0", "files": files_list(files)}
        rs = race(f"{module_spoke.url}/modules/{m}/versions", [body] * THREADS, module_spoke.auth_headers())
        statuses = sorted(r.status_code for r in rs)
        assert statuses == [200] * (THREADS - 1) + [201], [(r.status_code, r.text[:200]) for r in rs]
        digests = {r.json()["digest"] for r in rs}
        assert digests == {expected_digest(files)}
        created = {r.json()["created_at"] for r in rs}
        assert len(created) == 1, "the 200s must describe the stored version"
        assert [v["version"] for v in api.versions(m)] == ["1.0.0"]


def test_different_concurrent_pushes_one_201_rest_409(api, module_spoke):
    for round_ in range(3):
        m = api.new_module("diff")
        bodies = [{"version": "2.0.0", "files": files_list(files_for(k))} for k in range(THREADS)]
        rs = race(f"{module_spoke.url}/modules/{m}/versions", bodies, module_spoke.auth_headers())
        statuses = sorted(r.status_code for r in rs)
        assert statuses == [201] + [409] * (THREADS - 1), [(r.status_code, r.text[:200]) for r in rs]
        for r in rs:
            if r.status_code == 409:
                assert_error(r, 409, "VERSION_EXISTS")
        winner = next(k for k, r in enumerate(rs) if r.status_code == 201)
        stored = api.get(f"/modules/{m}/versions/2.0.0").json()
        assert stored["digest"] == expected_digest(files_for(winner))
        assert stored["files"][0]["content"] == files_for(winner)["race/r.proto"]


def test_mixed_concurrent_pushes(api, module_spoke):
    m = api.new_module("mixed")
    a, b = files_for("a"), files_for("b")
    bodies = [{"version": "3.0.0" if k % 2 else "v3.0.0", "files": files_list(a if k < 4 else b)}
              for k in range(THREADS)]
    rs = race(f"{module_spoke.url}/modules/{m}/versions", bodies, module_spoke.auth_headers())
    winner = [k for k, r in enumerate(rs) if r.status_code == 201]
    assert len(winner) == 1, [(r.status_code, r.text[:200]) for r in rs]
    won_a = winner[0] < 4
    for k, r in enumerate(rs):
        if k == winner[0]:
            continue
        same = (k < 4) == won_a
        assert r.status_code == (200 if same else 409), (k, r.status_code, r.text[:200])
    stored = api.get(f"/modules/{m}/versions/3.0.0").json()
    assert stored["digest"] == expected_digest(a if won_a else b)
    assert stored["version"] == bodies[winner[0]]["version"]
    assert len(api.versions(m)) == 1


def test_concurrent_different_versions_all_succeed(api, module_spoke):
    m = api.new_module("many")
    bodies = [{"version": f"0.{k}.0", "files": files_list(files_for(k))} for k in range(THREADS)]
    rs = race(f"{module_spoke.url}/modules/{m}/versions", bodies, module_spoke.auth_headers())
    assert [r.status_code for r in rs] == [201] * THREADS, [r.text[:200] for r in rs]
    listed = [v["version"] for v in api.versions(m)]
    assert listed == [f"0.{k}.0" for k in reversed(range(THREADS))]
    assert api.get(f"/modules/{m}").json()["version_count"] == THREADS


def test_concurrent_module_creation_one_201(api, module_spoke):
    name = unique("race-mod")
    auth = module_spoke.auth_headers()
    barrier = threading.Barrier(THREADS)
    out = [None] * THREADS

    def go(k):
        barrier.wait(timeout=10)
        out[k] = requests.post(f"{module_spoke.url}/modules", json={"name": name, "description": str(k)},
                               headers=auth, timeout=10)

    threads = [threading.Thread(target=go, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    statuses = sorted(r.status_code for r in out)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    winner = next(k for k, r in enumerate(out) if r.status_code == 201)
    assert api.get(f"/modules/{name}").json()["description"] == str(winner)
