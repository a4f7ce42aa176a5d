"""kill -9 in the middle of a burst of pushes: every acknowledged push survives with its digest, every
other one is absent or complete, and the listing agrees with what can be read."""

import queue
import threading
import time

import requests

from harness.spoke_api import expected_digest, files_list, proto

PUSHES = 200
THREADS = 16
KILL_AFTER_ACKS = 50


def version_name(i):
    return f"1.{i // 20}.{i % 20}"


def version_files(i):
    filler = "\n".join(f"// line {k} of version {i}" for k in range(400))
    return {
        f"crash/v{i}.proto": proto("crash", f"import \"crash/common.proto\";\nmessage V{i} {{ Common c = 1; }}"),
        "crash/common.proto": proto("crash", f"message Common {{ string tag{i} = 1; }}"),
        "crash/filler.proto": proto("crash", filler),
    }


def semver_key(v):
    return tuple(int(x) for x in v.split("."))


def test_kill9_mid_burst_keeps_acknowledged_pushes(spawn_spoke):
    server = spawn_spoke(env={"SPOKE_THREADS": "2", "SPOKE_WORKER_THREADS": "2"})
    client = server.client()
    module = client.new_module("crash")
    auth = server.auth_headers()

    work = queue.Queue()
    for i in range(PUSHES):
        work.put(i)
    results = {}
    lock = threading.Lock()
    acked = threading.Semaphore(0)

    def pusher():
        session = requests.Session()
        session.headers.update(auth)
        while True:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            body = {"version": version_name(i), "files": files_list(version_files(i))}
            try:
                r = session.post(f"{server.url}/modules/{module}/versions", json=body, timeout=10)
                outcome = ("status", r.status_code, r.json().get("digest") if r.status_code == 201 else r.text)
            except requests.RequestException as e:
                outcome = ("error", None, repr(e))
            with lock:
                results[i] = outcome
            if outcome[1] == 201:
                acked.release()

    threads = [threading.Thread(target=pusher, daemon=True) for _ in range(THREADS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    for _ in range(KILL_AFTER_ACKS):
        assert acked.acquire(timeout=max(0.01, deadline - time.monotonic())), f"too few acks: {results}"
    server.kill9()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads), "pusher threads hung after kill -9"

    acks = {i: o[2] for i, o in results.items() if o[1] == 201}
    unexpected = {i: o for i, o in results.items() if o[0] == "status" and o[1] != 201}
    assert not unexpected, f"pushes answered with something other than 201 before the kill: {unexpected}"
    assert len(acks) >= KILL_AFTER_ACKS
    assert len(acks) < PUSHES, "the kill did not land mid-burst"

    server.restart()
    client = server.client()
    gettable = set()
    for i in range(PUSHES):
        v = version_name(i)
        files = version_files(i)
        r = client.get(f"/modules/{module}/versions/{v}")
        if i in acks:
            assert r.status_code == 200, f"acknowledged push {v} lost after kill -9: {r.status_code} {r.text}"
            assert r.json()["digest"] == acks[i]
        else:
            assert r.status_code in (200, 404), f"{v}: {r.status_code} {r.text}"
        if r.status_code == 200:
            got = r.json()
            assert got["digest"] == expected_digest(files), f"{v} is stored but inconsistent"
            assert {f["path"]: f["content"] for f in got["files"]} == files, f"{v} has partial content"
            gettable.add(v)

    listed = client.versions(module)
    assert sorted(x["version"] for x in listed) == sorted(gettable)
    detail = client.get(f"/modules/{module}").json()
    assert detail["version_count"] == len(gettable)
    assert detail["latest_version"] == max(gettable, key=semver_key)
    modules, total = client.all_modules()
    assert [m["name"] for m in modules] == [module] and total == 1, modules

    # Whatever was lost can be pushed again; whatever survived is identical.
    missing = [i for i in range(PUSHES) if version_name(i) not in gettable]
    present = [i for i in range(PUSHES) if version_name(i) in gettable]
    for i in missing[:5]:
        r = client.push(module, version_name(i), version_files(i))
        assert r.status_code == 201, r.text
    for i in present[:5]:
        r = client.push(module, version_name(i), version_files(i))
        assert r.status_code == 200, r.text


def test_kill9_during_module_creation_and_restart_is_consistent(spawn_spoke):
    server = spawn_spoke()
    client = server.client()
    auth = server.auth_headers()
    created = []
    lock = threading.Lock()
    stop = threading.Event()

    def creator(k):
        s = requests.Session()
        s.headers.update(auth)
        n = 0
        while not stop.is_set():
            name = f"cm-{k}-{n}"
            n += 1
            try:
                r = s.post(f"{server.url}/modules", json={"name": name}, timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 201:
                with lock:
                    created.append(name)

    threads = [threading.Thread(target=creator, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(created) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(created) >= 100

    server.restart()
    client = server.client()
    modules, total = client.all_modules()
    names = {m["name"] for m in modules}
    assert set(created) <= names, f"acknowledged modules lost: {sorted(set(created) - names)[:10]}"
    assert total == len(names) == len(modules)
    for n in names:
        assert client.get(f"/modules/{n}").status_code == 200
