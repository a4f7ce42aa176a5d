"""scripts/backup and scripts/restore on both storage types: a corpus pushed, a backup taken while
pushes go on, everything wiped, a restore, and every version's digest and every file's bytes
compared; a damaged backup and non-empty storage are refused; --keep removes the oldest."""

import os
import subprocess
import threading
import time

import pytest

from harness.spoke_api import proto, unique
from harness.spoke_process import _psql, ensure_database, storage_under_test, url_for_database

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BACKUP = os.path.join(REPO, "scripts", "backup")
RESTORE = os.path.join(REPO, "scripts", "restore")
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def run(script, env, *args, check=True):
    r = subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, f"{script} {args}: rc={r.returncode}\n{r.stdout}{r.stderr}"
    return r


def push_corpus(client, modules=4, versions=3):
    """Modules with several files, later ones importing earlier ones; returns {(module, version)}."""
    pushed = set()
    previous = None
    for m in range(modules):
        name = client.new_module(f"bk{m}")
        for v in range(versions):
            files = {f"{name}/v1/f{i}.proto": proto(f"{name.replace('-', '_')}.v1",
                                                    f"message M{i} {{ string s{v} = 1; }}")
                     for i in range(3)}
            files[f"{name}/v1/notes_{v}.proto"] = proto(f"{name.replace('-', '_')}.v1",
                                                       f"// {'ü' * v} tabs\t\n")
            deps = None
            if previous:
                dep_module, dep_version, dep_file = previous
                files[f"{name}/v1/uses.proto"] = proto(f"{name.replace('-', '_')}.v1",
                                                       "", imports=[dep_file])
                deps = [f"{dep_module}@{dep_version}"]
            client.push_ok(name, f"1.{v}.0", files, deps)
            pushed.add((name, f"1.{v}.0"))
        previous = (name, f"1.{versions - 1}.0", f"{name}/v1/f0.proto")
    return pushed


def snapshot(client, versions):
    """{(module, version): (digest, {path: raw bytes})} read over the API."""
    out = {}
    for module, version in sorted(versions):
        r = client.get(f"/modules/{module}/versions/{version}")
        assert r.status_code == 200, (module, version, r.text)
        body = r.json()
        files = {}
        for f in body["files"]:
            raw = client.get(f"/modules/{module}/versions/{version}/files/{f['path']}",
                             headers={"Accept": "application/octet-stream"})
            assert raw.status_code == 200, raw.text
            files[f["path"]] = raw.content
        out[(module, version)] = (body["digest"], files)
    return out


class Pusher(threading.Thread):
    """Pushes new versions until stopped; remembers which were acknowledged and when."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client = client
        self.module = client.new_module("during")
        self.acked = []  # (monotonic time of the 201, version)
        self.halt = threading.Event()

    def run(self):
        for n in range(10_000):
            if self.halt.is_set():
                return
            version = f"2.{n}.0"
            r = self.client.push(self.module, version, {"d.proto": proto("during.v1",
                                                                          f"message D{n} {{}}")})
            if r.status_code == 201:
                self.acked.append((time.monotonic(), version))

    def stop(self):
        self.halt.set()
        self.join(60)


def backup_dirs(dest):
    return sorted(d for d in os.listdir(dest) if d.startswith("spoke-") and d.endswith("Z"))


def fresh_target_env(server, tmp_path):
    """The environment of an empty storage of the same type: a new root, or a new database and a
    new bucket (nothing of the original is reused, as after losing the machine)."""
    env = server.env()
    if storage_under_test() == "filesystem":
        env["SPOKE_FILESYSTEM_ROOT"] = str(tmp_path / "restored-root")
        return env
    database = "spoke_restore_" + unique("r").replace("-", "_")
    ensure_database(database)
    env["SPOKE_POSTGRES_URL"] = url_for_database(os.environ["PG_MULTI_URL"], database)
    if os.environ.get("PG_STANDBY_URL"):
        env["SPOKE_POSTGRES_REPLICA_URLS"] = url_for_database(os.environ["PG_STANDBY_URL"], database)
    bucket = unique("restored")
    subprocess.run(["curl", "-sS", "--fail", "-X", "PUT",
                    "--aws-sigv4", f"aws:amz:{env['SPOKE_S3_REGION']}:s3",
                    "--user", f"{env['SPOKE_S3_ACCESS_KEY']}:{env['SPOKE_S3_SECRET_KEY']}",
                    "-H", f"x-amz-content-sha256: {EMPTY_SHA256}",
                    f"{env['SPOKE_S3_ENDPOINT'].rstrip('/')}/{bucket}"], check=True, timeout=30)
    env["SPOKE_S3_BUCKET"] = bucket
    return env


def test_round_trip_while_pushing(spawn_spoke, tmp_path):
    server = spawn_spoke(name="source")
    client = server.client()
    corpus = push_corpus(client)
    pusher = Pusher(server.client())
    pusher.start()
    while len(pusher.acked) < 3:
        time.sleep(0.01)
    began = time.monotonic()
    dest = tmp_path / "backups"
    out = run(BACKUP, server.env(), str(dest))
    pusher.stop()
    print(out.stderr.strip())
    [name] = backup_dirs(dest)
    manifest = (dest / name / "MANIFEST").read_text()
    assert f"storage_type={storage_under_test()}" in manifest, manifest

    before_backup = {v for t, v in pusher.acked if t < began}
    acked = {v for _, v in pusher.acked}
    expected = snapshot(client, corpus | {(pusher.module, v) for v in acked})
    client.close()
    server.stop()

    target = fresh_target_env(server, tmp_path)
    out = run(RESTORE, target, str(dest / name))
    assert "restored" in out.stderr, out.stderr
    print(out.stderr.strip())
    restored = spawn_spoke(name="restored", env={k: target[k] for k in target
                                                  if k.startswith("SPOKE_") and k not in
                                                  ("SPOKE_PORT", "SPOKE_HEALTH_PORT")},
                           root=target.get("SPOKE_FILESYSTEM_ROOT"))
    reader = restored.client(token=None)
    have = {(pusher.module, v["version"]) for v in reader.versions(pusher.module)}
    # Every push acknowledged before the backup began is in it; later ones may be, whole.
    assert {(pusher.module, v) for v in before_backup} <= have
    assert have <= {(pusher.module, v) for v in acked}
    got = snapshot(reader, corpus | have)
    assert got == {k: expected[k] for k in got}
    reader.close()


def small_backup(spawn_spoke, tmp_path):
    """A server with one pushed version and one backup of it: (server, the backup's directory)."""
    server = spawn_spoke(name="source")
    client = server.client()
    push_corpus(client, modules=1, versions=1)
    client.close()
    dest = tmp_path / "backups"
    run(BACKUP, server.env(), str(dest))
    [name] = backup_dirs(dest)
    return server, dest / name


def test_a_damaged_backup_is_refused_and_writes_nothing(spawn_spoke, tmp_path):
    server, backup = small_backup(spawn_spoke, tmp_path)
    victim = backup / ("root.tar.gz" if storage_under_test() == "filesystem" else "database.dump")
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    target = fresh_target_env(server, tmp_path)
    r = run(RESTORE, target, str(backup), check=False)
    assert r.returncode != 0 and "damaged" in r.stderr, r.stderr
    if storage_under_test() == "filesystem":
        root = target["SPOKE_FILESYSTEM_ROOT"]
        assert not os.path.exists(root) or not os.listdir(root)
    else:
        assert _psql(target["SPOKE_POSTGRES_URL"],
                     "SELECT to_regclass('public.modules') IS NULL").strip() == "t"


def test_restore_refuses_storage_that_holds_a_registry(spawn_spoke, tmp_path):
    server, backup = small_backup(spawn_spoke, tmp_path)
    server.stop()
    # The source itself is not empty: restoring over it must not touch it.
    r = run(RESTORE, server.env(), str(backup), check=False)
    assert r.returncode != 0 and ("holds data already" in r.stderr or
                                  "holds modules already" in r.stderr), r.stderr


@pytest.mark.filesystem_only("a running server's LOCK is the filesystem root's")
def test_restore_refuses_a_root_a_server_runs_on(spawn_spoke, tmp_path):
    source = spawn_spoke(name="source")
    dest = tmp_path / "backups"
    run(BACKUP, source.env(), str(dest))
    [name] = backup_dirs(dest)
    running = spawn_spoke(name="running")
    r = run(RESTORE, running.env(), str(dest / name), check=False)
    assert r.returncode != 0 and "holds" in r.stderr and "LOCK" in r.stderr, r.stderr


def test_keep_removes_the_oldest_backups(spawn_spoke, tmp_path):
    server = spawn_spoke(name="source")
    dest = tmp_path / "backups"
    made = []
    for _ in range(4):
        run(BACKUP, server.env(), "--keep", "2", str(dest))
        made.append(backup_dirs(dest)[-1])
    (dest / "spoke-unrelated").mkdir()
    assert backup_dirs(dest) == made[-2:]
    assert (dest / "spoke-unrelated").is_dir()
    r = run(BACKUP, server.env(), "--keep", "0", str(dest), check=False)
    assert r.returncode != 0 and "--keep" in r.stderr
