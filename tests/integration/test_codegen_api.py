"""Code generation over HTTP: the language list, compile jobs, archive downloads, content-addressed
artifacts in the storage backend (surviving restarts, shared between instances), single flight and
the bounded queue.

Each test pushes schemas whose content is unique to it (a comment with a unique name), so no test
finds another's artifacts, also when every server of the postgres run shares one S3 bucket.

Slow or hanging generations come from a real plugin process: a small protoc plugin written here in
Python, put first on the server's PATH as `protoc-gen-go` (the catalog then offers `go` through
it). It speaks the plugin protocol, logs each start to a file and, when asked to, waits for a gate
file that the test creates: the test decides when a generation ends, so nothing depends on timing.
"""

import hashlib
import io
import os
import shutil
import tarfile
import threading
import time
import zipfile

import pytest
import requests

from harness.spoke_api import (SpokeClient, assert_error, assert_json, metric, proto, scrape_metrics,
                               unique)

HEX64 = set("0123456789abcdef")
JOB_TIMEOUT_S = 60.0
IN_PROCESS = ["cpp", "java", "kotlin", "python", "csharp", "objc", "php", "ruby"]
# The gRPC plugin binary the server looks for, per language (Debian's names).
GRPC_PLUGINS = {"cpp": "grpc_cpp_plugin", "java": "grpc_java_plugin", "kotlin": "grpc_java_plugin",
                "python": "grpc_python_plugin", "csharp": "grpc_csharp_plugin",
                "objc": "grpc_objective_c_plugin", "php": "grpc_php_plugin", "ruby": "grpc_ruby_plugin"}


# ---- schemas -----------------------------------------------------------------------------------
def push_schema(api, tag=None):
    """base@1.0.0 (money.proto) and app@1.0.0 (order.proto with a service) depending on it.
    Returns (app, base)."""
    tag = tag or unique("t")
    base, app = api.new_module("cgbase"), api.new_module("cgapp")
    api.push_ok(base, "1.0.0", {
        "acme/base/v1/money.proto": f"// {tag}\n" + proto("acme.base.v1", """
option java_package = "com.acme.base.v1";
option java_multiple_files = true;
message Money { string currency = 1; int64 units = 2; }""")})
    api.push_ok(app, "1.0.0", {
        "acme/shop/v1/order.proto": f"// {tag}\n" + proto("acme.shop.v1", """
option java_package = "com.acme.shop.v1";
option java_multiple_files = true;
message Order { string id = 1; acme.base.v1.Money total = 2; google.protobuf.Timestamp at = 3; }
message GetOrderRequest { string id = 1; }
service OrderService { rpc GetOrder(GetOrderRequest) returns (Order); }""",
                                                  ["acme/base/v1/money.proto",
                                                   "google/protobuf/timestamp.proto"])},
        dependencies=[f"{base}@1.0.0"])
    return app, base


def push_partly_imported(api, tag=None):
    """wide@1.0.0 with two files, x.proto and y.proto, and user@1.0.0 depending on wide@1.0.0 but
    importing only x.proto (a service package using a few files of a large common package).
    Returns (user, wide)."""
    tag = tag or unique("t")
    wide, user = api.new_module("cgwide"), api.new_module("cguser")
    api.push_ok(wide, "1.0.0", {
        "acme/wide/v1/x.proto": f"// {tag}\n" + proto("acme.wide.v1", """
option java_package = "com.acme.wide.v1";
option java_multiple_files = true;
message X { string id = 1; }"""),
        "acme/wide/v1/y.proto": f"// {tag}\n" + proto("acme.wide.v1", """
option java_package = "com.acme.wide.v1";
option java_multiple_files = true;
message Y { int64 n = 1; }""")})
    api.push_ok(user, "1.0.0", {
        "acme/user/v1/user.proto": f"// {tag}\n" + proto("acme.user.v1", """
option java_package = "com.acme.user.v1";
option java_multiple_files = true;
message User { acme.wide.v1.X x = 1; }""", ["acme/wide/v1/x.proto"])},
        dependencies=[f"{wide}@1.0.0"])
    return user, wide


def compile_path(module, version="1.0.0"):
    return f"/api/v1/modules/{module}/versions/{version}/compile"


def download_path(module, language, version="1.0.0", prefix=""):
    return f"{prefix}/modules/{module}/versions/{version}/download/{language}"


def start_compile(api, module, languages, version="1.0.0", include_grpc=None, expect=202):
    body = {"languages": languages}
    if include_grpc is not None:
        body["include_grpc"] = include_grpc
    r = api.post(compile_path(module, version), json=body)
    assert r.status_code == expect, (r.status_code, r.text)
    job = assert_json(r)
    check_job_shape(job, languages)
    return job


def check_job_shape(job, languages):
    assert set(job) == {"job_id", "results"}, job
    assert len(job["job_id"]) == 32 and set(job["job_id"]) <= HEX64, job["job_id"]
    assert [r["language"] for r in job["results"]] == languages, job
    for r in job["results"]:
        assert {"language", "status", "cache_hit", "duration_ms"} <= set(r), r
        assert set(r) <= {"language", "status", "cache_hit", "duration_ms", "artifact_sha256", "error"}, r
        assert r["status"] in ("queued", "running", "completed", "failed"), r
        assert isinstance(r["cache_hit"], bool) and isinstance(r["duration_ms"], int), r
        assert r["duration_ms"] >= 0, r
        if r["status"] == "completed":
            assert len(r["artifact_sha256"]) == 64 and set(r["artifact_sha256"]) <= HEX64, r
            assert "error" not in r, r
        else:
            assert "artifact_sha256" not in r, r
        if r["status"] == "failed":
            assert isinstance(r["error"], str) and r["error"], r
        else:
            assert "error" not in r, r
        if r["cache_hit"]:
            assert r["status"] == "completed", r


def wait_for_job(api, module, job, version="1.0.0", timeout_s=JOB_TIMEOUT_S):
    """Polls GET .../compile/{job_id} until no language is queued or running."""
    languages = [r["language"] for r in job["results"]]
    deadline = time.monotonic() + timeout_s
    while True:
        r = api.get(f"{compile_path(module, version)}/{job['job_id']}")
        assert r.status_code == 200, r.text
        current = assert_json(r)
        check_job_shape(current, languages)
        assert current["job_id"] == job["job_id"]
        if all(x["status"] in ("completed", "failed") for x in current["results"]):
            return current
        assert time.monotonic() < deadline, f"job still running after {timeout_s}s: {current}"
        time.sleep(0.05)


def download(api, module, language, version="1.0.0", fmt=None, prefix="", **params):
    if fmt is not None:
        params["format"] = fmt
    return api.get(download_path(module, language, version, prefix), params=params or None,
                   timeout=JOB_TIMEOUT_S)


def download_ok(api, module, language, version="1.0.0", fmt="zip", resolved="1.0.0", **params):
    r = download(api, module, language, version, fmt, **params)
    assert r.status_code == 200, (r.status_code, r.text[:500])
    ext = "zip" if fmt == "zip" else "tar.gz"
    assert r.headers["Content-Type"] == ("application/zip" if fmt == "zip" else "application/gzip")
    assert r.headers["Content-Disposition"] == f"attachment; filename={module}-{resolved}-{language}.{ext}"
    assert r.headers["ETag"] == '"' + hashlib.sha256(r.content).hexdigest() + '"'
    return r.content


def zip_members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        return {i.filename: z.read(i) for i in z.infolist()}


def tar_members(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        out = {}
        for m in t.getmembers():
            assert m.isfile(), m.name
            out[m.name] = t.extractfile(m).read()
        return out


def codegen_count(health, language, outcome):
    return metric(scrape_metrics(health), "spoke_codegen_jobs_total", language=language, outcome=outcome)


# ---- a plugin the test controls ----------------------------------------------------------------
PLUGIN = r'''#!/usr/bin/python3
# A protoc plugin for tests: one output file per file to generate, after an optional gate.
import os, sys, time

def read_varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field(number, data):
    return varint((number << 3) | 2) + varint(len(data)) + data

request = sys.stdin.buffer.read()
with open(LOG, "a") as log:
    log.write("start %d\n" % os.getpid())
files, i = [], 0
while i < len(request):
    key, i = read_varint(request, i)
    number, wire = key >> 3, key & 7
    if wire == 0:
        _, i = read_varint(request, i)
    elif wire == 2:
        size, i = read_varint(request, i)
        if number == 1:  # file_to_generate
            files.append(request[i:i + size].decode())
        i += size
    elif wire == 1:
        i += 8
    elif wire == 5:
        i += 4
if MODE == "crash":
    sys.stderr.write("panic: the fake plugin crashed\n")
    sys.exit(3)
if MODE == "hang":
    time.sleep(60)
deadline = time.monotonic() + 30
while MODE == "gate" and not os.path.exists(GATE) and time.monotonic() < deadline:
    time.sleep(0.02)
response = b"".join(
    field(15, field(1, (f[:-len(".proto")] + ".fake.go").encode()) +
              field(15, ("// generated from " + f + "\n").encode()))
    for f in files)
sys.stdout.buffer.write(response)
'''


class FakeGoPlugin:
    """A `protoc-gen-go` directory to put first on a server's PATH."""

    def __init__(self, directory, mode):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.log = os.path.join(self.dir, "starts.log")
        self.gate = os.path.join(self.dir, "gate")
        self.path = os.path.join(self.dir, "protoc-gen-go")
        header = f"LOG = {self.log!r}\nGATE = {self.gate!r}\nMODE = {mode!r}\n"
        lines = PLUGIN.split("\n", 1)
        with open(self.path, "w") as f:
            f.write(lines[0] + "\n" + header + lines[1])
        os.chmod(self.path, 0o755)

    def env(self, **extra):
        return {"PATH": self.dir + ":" + os.environ.get("PATH", "/usr/bin:/bin"), **extra}

    def starts(self):
        try:
            with open(self.log) as f:
                return len(f.read().splitlines())
        except FileNotFoundError:
            return 0

    def wait_started(self, count=1, timeout_s=20.0):
        deadline = time.monotonic() + timeout_s
        while self.starts() < count:
            assert time.monotonic() < deadline, f"the plugin did not start {count} time(s)"
            time.sleep(0.02)

    def open_gate(self):
        open(self.gate, "w").close()


def wait_metric(health, predicate, what, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while True:
        samples = scrape_metrics(health)
        if predicate(samples):
            return samples
        assert time.monotonic() < deadline, f"metrics never showed {what}"
        time.sleep(0.02)


# ---- the language list -------------------------------------------------------------------------
def test_languages_are_what_this_machine_can_generate(api):
    r = api.get("/api/v1/languages")
    assert r.status_code == 200
    langs = assert_json(r)
    by_id = {entry["id"]: entry for entry in langs}
    assert len(by_id) == len(langs), "duplicate ids"
    expected = list(IN_PROCESS)
    if shutil.which("protoc-gen-go"):
        expected.append("go")
    assert [entry["id"] for entry in langs] == expected
    for entry in langs:
        assert set(entry) == {"id", "name", "supports_grpc", "file_extensions", "generator"}, entry
        assert isinstance(entry["name"], str) and entry["name"]
        assert entry["file_extensions"] and all(e.startswith(".") for e in entry["file_extensions"])
    for lang in IN_PROCESS:
        assert by_id[lang]["generator"].startswith("libprotoc "), by_id[lang]
        assert by_id[lang]["generator"].endswith(" in-process"), by_id[lang]
        assert by_id[lang]["supports_grpc"] == bool(shutil.which(GRPC_PLUGINS[lang])), lang
    if "go" in by_id:
        assert by_id["go"]["generator"] == shutil.which("protoc-gen-go")
        assert by_id["go"]["supports_grpc"] == bool(shutil.which("protoc-gen-go-grpc"))
    assert by_id["cpp"]["name"] == "C++" and by_id["cpp"]["file_extensions"] == [".h", ".cc"]


def test_a_plugin_language_is_offered_only_when_its_binary_is_there(spawn_spoke, tmp_path):
    fake = FakeGoPlugin(tmp_path / "bin", "now")
    without = {"PATH": "/nonexistent-dir"}
    c = SpokeClient(spawn_spoke(env=without, name="bare").url)
    ids = [x["id"] for x in c.get("/api/v1/languages").json()]
    assert ids == IN_PROCESS
    assert not any(x["supports_grpc"] for x in c.get("/api/v1/languages").json())
    c2 = SpokeClient(spawn_spoke(env=fake.env(), name="fake").url)
    go = [x for x in c2.get("/api/v1/languages").json() if x["id"] == "go"]
    assert go and go[0]["generator"] == fake.path, go


# ---- compile jobs ------------------------------------------------------------------------------
def test_compile_runs_in_the_background_then_answers_from_storage(api):
    app, _ = push_schema(api)
    job = start_compile(api, app, ["cpp", "python"])
    assert all(r["status"] in ("queued", "running") and not r["cache_hit"] for r in job["results"]), job
    done = wait_for_job(api, app, job)
    assert [r["status"] for r in done["results"]] == ["completed", "completed"], done
    assert not any(r["cache_hit"] for r in done["results"])
    shas = {r["language"]: r["artifact_sha256"] for r in done["results"]}

    again = start_compile(api, app, ["python", "cpp"], expect=200)
    assert all(r["status"] == "completed" and r["cache_hit"] for r in again["results"]), again
    assert {r["language"]: r["artifact_sha256"] for r in again["results"]} == shas
    assert again["job_id"] != job["job_id"]
    # A finished job is still there to read, under either spelling of its version.
    for version in ("1.0.0", "v1.0.0"):
        r = api.get(f"{compile_path(app, version)}/{again['job_id']}")
        assert r.status_code == 200, (version, r.text)
        assert r.json() == again
    # artifact_sha256 names the zip download.
    assert hashlib.sha256(download_ok(api, app, "cpp")).hexdigest() == shas["cpp"]


def test_compile_mixes_stored_and_new_languages(api):
    app, _ = push_schema(api)
    wait_for_job(api, app, start_compile(api, app, ["ruby"]))
    job = start_compile(api, app, ["ruby", "csharp"])
    ruby, csharp = job["results"]
    assert ruby["status"] == "completed" and ruby["cache_hit"], job
    assert csharp["status"] in ("queued", "running") and not csharp["cache_hit"], job
    done = wait_for_job(api, app, job)
    assert [r["status"] for r in done["results"]] == ["completed", "completed"], done
    assert done["results"][0] == ruby


def test_compile_through_latest(api):
    app, _ = push_schema(api)
    done = wait_for_job(api, app, start_compile(api, app, ["objc"], version="latest"), version="latest")
    assert done["results"][0]["status"] == "completed"
    assert start_compile(api, app, ["objc"], expect=200)["results"][0]["cache_hit"]


def test_compile_rejects_bad_requests(api):
    app, _ = push_schema(api)
    path = compile_path(app)
    assert_error(api.post(path, json={"languages": ["cpp", "cobol"]}), 400, "BAD_REQUEST")
    assert_error(api.post(path, json={"languages": []}), 400, "BAD_REQUEST")
    assert_error(api.post(path, json={}), 400, "BAD_REQUEST")
    assert_error(api.post(path, json={"languages": "cpp"}), 400, "BAD_REQUEST")
    assert_error(api.post(path, json={"languages": [1]}), 400, "BAD_REQUEST")
    assert_error(api.post(path, json={"languages": ["cpp", "cpp"]}), 400, "BAD_REQUEST")
    assert_error(api.post(path, json={"languages": ["cpp"], "include_grpc": "yes"}), 400, "BAD_REQUEST")
    assert_error(api.post_raw(path, b"not json"), 400)
    assert_error(api.post_raw(path, b'{"languages": ["cpp"]}', content_type="text/plain"), 415)
    no_grpc = [x["id"] for x in api.get("/api/v1/languages").json() if not x["supports_grpc"]]
    if no_grpc:
        body = assert_error(api.post(path, json={"languages": [no_grpc[0]], "include_grpc": True}), 400)
        assert "include_grpc" in body["error"]
    # 404s: version, module, job.
    assert_error(api.post(compile_path(app, "9.9.9"), json={"languages": ["cpp"]}), 404, "NOT_FOUND")
    assert_error(api.post(compile_path("no-such-module-x"), json={"languages": ["cpp"]}), 404)
    assert_error(api.post(compile_path(app, "not a version"), json={"languages": ["cpp"]}), 404)
    assert_error(api.get(f"{path}/{'0' * 32}"), 404, "NOT_FOUND")
    assert_error(api.get(f"{path}/nope"), 404)


def test_a_job_is_found_only_under_its_own_version(api):
    app, base = push_schema(api)
    job = start_compile(api, app, ["php"])
    assert_error(api.get(f"{compile_path(base)}/{job['job_id']}"), 404)
    assert_error(api.get(f"{compile_path(app, '2.0.0')}/{job['job_id']}"), 404)
    wait_for_job(api, app, job)


# ---- downloads ---------------------------------------------------------------------------------
def test_download_holds_the_version_and_its_dependencies_under_their_own_paths(api):
    app, _ = push_schema(api)
    zipped = zip_members(download_ok(api, app, "cpp"))
    assert sorted(zipped) == ["acme/base/v1/money.pb.cc", "acme/base/v1/money.pb.h",
                              "acme/shop/v1/order.pb.cc", "acme/shop/v1/order.pb.h"]
    assert b"class Order" in zipped["acme/shop/v1/order.pb.h"]
    assert b'#include "acme/base/v1/money.pb.h"' in zipped["acme/shop/v1/order.pb.h"]
    tarred = tar_members(download_ok(api, app, "cpp", fmt="tar.gz"))
    assert tarred == zipped
    python = zip_members(download_ok(api, app, "python"))
    assert sorted(python) == ["acme/base/v1/money_pb2.py", "acme/base/v1/money_pb2.pyi",
                              "acme/shop/v1/order_pb2.py", "acme/shop/v1/order_pb2.pyi"]
    java = zip_members(download_ok(api, app, "java"))
    assert "com/acme/shop/v1/Order.java" in java and "com/acme/base/v1/Money.java" in java
    assert not any(p.startswith("google/") or "/protobuf/" in p for p in list(zipped) + list(java))


def test_a_dependency_file_the_version_does_not_import_is_left_out(api):
    # Generated code covers what the version uses: its own files and the dependency files its
    # imports reach. y.proto of the dependency is not imported, so it is not generated (and it
    # used to make every generation for the version fail with a 500).
    user, _ = push_partly_imported(api)
    job = wait_for_job(api, user, start_compile(api, user, ["python", "cpp", "java"]))
    assert [r["status"] for r in job["results"]] == ["completed"] * 3, job
    python = zip_members(download_ok(api, user, "python"))
    assert sorted(python) == ["acme/user/v1/user_pb2.py", "acme/user/v1/user_pb2.pyi",
                              "acme/wide/v1/x_pb2.py", "acme/wide/v1/x_pb2.pyi"]
    assert b"from acme.wide.v1 import x_pb2" in python["acme/user/v1/user_pb2.py"]
    cpp = tar_members(download_ok(api, user, "cpp", fmt="tar.gz"))
    assert sorted(cpp) == ["acme/user/v1/user.pb.cc", "acme/user/v1/user.pb.h",
                           "acme/wide/v1/x.pb.cc", "acme/wide/v1/x.pb.h"]
    assert zip_members(download_ok(api, user, "cpp")) == cpp
    java = zip_members(download_ok(api, user, "java"))
    assert "com/acme/user/v1/User.java" in java and "com/acme/wide/v1/X.java" in java
    assert not any("/Y" in p or "y_pb2" in p or "/y." in p for p in list(python) + list(cpp) + list(java))
    # Fresh downloads (not compiled before) succeed too.
    ruby = tar_members(download_ok(api, user, "ruby", fmt="tar.gz"))
    assert sorted(ruby) == ["acme/user/v1/user_pb.rb", "acme/wide/v1/x_pb.rb"]


def test_downloads_are_byte_identical_and_cacheable(api, health):
    app, _ = push_schema(api)
    first = download_ok(api, app, "kotlin", fmt="tar.gz")
    hits = codegen_count(health, "kotlin", "cache_hit")
    second = download_ok(api, app, "kotlin", fmt="tar.gz")
    assert second == first
    assert codegen_count(health, "kotlin", "cache_hit") == hits + 1
    etag = '"' + hashlib.sha256(first).hexdigest() + '"'
    r = api.get(download_path(app, "kotlin"), params={"format": "tar.gz"}, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    # Under /api/v1 too, and through latest (the file name says which version it is).
    assert download_ok(api, app, "kotlin", fmt="tar.gz", prefix="/api/v1") == first
    assert download_ok(api, app, "kotlin", version="latest", fmt="tar.gz") == first
    assert download_ok(api, app, "kotlin", version="v1.0.0", fmt="tar.gz") == first


def test_download_errors(api):
    app, _ = push_schema(api)
    assert_error(download(api, app, "cobol"), 404, "NOT_FOUND")
    assert_error(download(api, app, "cpp", version="2.0.0"), 404, "NOT_FOUND")
    assert_error(download(api, "no-such-module-y", "cpp"), 404, "NOT_FOUND")
    assert_error(download(api, app, "cpp", fmt="rar"), 400, "BAD_REQUEST")
    assert_error(download(api, app, "cpp", include_grpc="maybe"), 400, "BAD_REQUEST")
    no_grpc = [x["id"] for x in api.get("/api/v1/languages").json() if not x["supports_grpc"]]
    if no_grpc:
        assert_error(download(api, app, no_grpc[0], include_grpc="true"), 400, "BAD_REQUEST")


def test_a_schema_the_generator_rejects_is_422(api, health):
    # libprotoc's PHP generator only takes proto3; C++ takes the same schema.
    m = api.new_module("legacy")
    api.push_ok(m, "1.0.0", {"legacy/v1/old.proto": f'// {unique("t")}\nsyntax = "proto2";\n'
                             'package legacy.v1;\nmessage Old { optional int32 x = 1; }\n'})
    failed = codegen_count(health, "php", "failed")
    body = assert_error(download(api, m, "php"), 422, "INVALID_PROTO")
    assert body["error"].startswith("generation failed: php"), body
    assert codegen_count(health, "php", "failed") == failed + 1
    job = wait_for_job(api, m, start_compile(api, m, ["php", "cpp"]))
    php, cpp = job["results"]
    assert php["status"] == "failed" and php["error"].startswith("generation failed: php"), job
    assert cpp["status"] == "completed", job
    assert zip_members(download_ok(api, m, "cpp"))


@pytest.mark.skipif(not (shutil.which("grpc_cpp_plugin") and shutil.which("grpc_python_plugin")),
                    reason="grpc_cpp_plugin and grpc_python_plugin are not installed")
def test_grpc_stubs_are_a_separate_artifact(api):
    app, _ = push_schema(api)
    plain = start_compile(api, app, ["cpp", "python"])
    grpc = start_compile(api, app, ["cpp", "python"], include_grpc=True)
    plain, grpc = wait_for_job(api, app, plain), wait_for_job(api, app, grpc)
    for a, b in zip(plain["results"], grpc["results"]):
        assert a["status"] == b["status"] == "completed"
        assert a["artifact_sha256"] != b["artifact_sha256"]
    cpp = zip_members(download_ok(api, app, "cpp", include_grpc="true"))
    assert "acme/shop/v1/order.grpc.pb.h" in cpp and "acme/shop/v1/order.pb.h" in cpp
    py = zip_members(download_ok(api, app, "python", include_grpc="true"))
    assert "acme/shop/v1/order_pb2_grpc.py" in py
    assert "acme/shop/v1/order.grpc.pb.h" not in zip_members(download_ok(api, app, "cpp"))


@pytest.mark.skipif(not shutil.which("protoc-gen-go"), reason="protoc-gen-go is not installed")
def test_go_through_its_plugin(api):
    app, _ = push_schema(api)
    files = tar_members(download_ok(api, app, "go", fmt="tar.gz"))
    assert "acme/shop/v1/order.pb.go" in files and "acme/base/v1/money.pb.go" in files
    assert b"package v1" in files["acme/shop/v1/order.pb.go"]


# ---- storage, restarts, instances --------------------------------------------------------------
def test_artifacts_survive_a_restart(spawn_spoke):
    p = spawn_spoke()
    c = p.client()
    app, _ = push_schema(c)
    done = wait_for_job(c, app, start_compile(c, app, ["cpp"]))
    sha = done["results"][0]["artifact_sha256"]
    tarred = download_ok(c, app, "cpp", fmt="tar.gz")
    assert p.stop() == []
    p.restart()
    health = SpokeClient(p.health_url)
    again = start_compile(c, app, ["cpp"], expect=200)
    assert again["results"][0]["cache_hit"] and again["results"][0]["artifact_sha256"] == sha
    assert hashlib.sha256(download_ok(c, app, "cpp")).hexdigest() == sha
    assert download_ok(c, app, "cpp", fmt="tar.gz") == tarred
    # Nothing was generated by the restarted process: both formats came from storage.
    samples = scrape_metrics(health)
    assert metric(samples, "spoke_codegen_jobs_total", language="cpp", outcome="generated") == 0
    assert metric(samples, "spoke_codegen_jobs_total", language="cpp", outcome="cache_hit") == 3


def test_two_servers_generate_the_same_bytes(spawn_spoke):
    # Separate data roots (on postgres: separate databases) with identical content.
    tag = unique("t")
    names = (f"repro-base-{tag}", f"repro-app-{tag}")  # the same in both: names are inputs too
    out = []
    for name in ("one", "two"):
        c = spawn_spoke(name=name).client()
        for n in names:
            assert c.create_module(n).status_code == 201
        c.push_ok(names[0], "1.0.0", {"r/base.proto": proto("r.base", f"// {tag}\nmessage B {{ int32 x = 1; }}")})
        c.push_ok(names[1], "1.0.0", {"r/app.proto": proto("r.app", "message A { r.base.B b = 1; }",
                                                           ["r/base.proto"])},
                  dependencies=[f"{names[0]}@1.0.0"])
        out.append((download_ok(c, names[1], "csharp"), download_ok(c, names[1], "csharp", fmt="tar.gz")))
    assert out[0] == out[1]


@pytest.mark.postgres_only("two instances share one database and bucket")
def test_an_artifact_generated_by_one_instance_is_served_by_another(spawn_spoke):
    a = spawn_spoke(name="a")
    b = spawn_spoke(name="b", root=a.root)
    ca, cb = a.client(), b.client()
    app, _ = push_schema(ca)
    done = wait_for_job(ca, app, start_compile(ca, app, ["java", "python"]))
    on_b = start_compile(cb, app, ["java", "python"], expect=200)
    assert [r["artifact_sha256"] for r in on_b["results"]] == [r["artifact_sha256"] for r in done["results"]]
    assert download_ok(cb, app, "java") == download_ok(ca, app, "java")
    samples = scrape_metrics(SpokeClient(b.health_url))
    assert metric(samples, "spoke_codegen_jobs_total", language="java", outcome="generated") == 0


# ---- single flight, the queue, the deadline ----------------------------------------------------
def test_identical_concurrent_downloads_generate_once(spawn_spoke, tmp_path):
    fake = FakeGoPlugin(tmp_path / "bin", "gate")
    p = spawn_spoke(env=fake.env())
    c, health = p.client(), SpokeClient(p.health_url)
    app, _ = push_schema(c)
    n = 6
    results = [None] * n

    def get(i):
        try:
            fmt = "zip" if i % 2 == 0 else "tar.gz"
            results[i] = (fmt, requests.get(p.url + download_path(app, "go"), params={"format": fmt},
                                            timeout=JOB_TIMEOUT_S))
        except requests.RequestException as e:  # reported by the assertions below
            results[i] = (None, e)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    try:
        # Every request is waiting: one started the generation, the others joined it.
        wait_metric(health, lambda s: metric(s, "spoke_codegen_jobs_total", language="go",
                                             outcome="joined") == n - 1, f"{n - 1} joined requests")
        fake.wait_started()
        samples = scrape_metrics(health)
        assert metric(samples, "spoke_codegen_queue_depth") == 1
    finally:
        fake.open_gate()
        for t in threads:
            t.join(timeout=JOB_TIMEOUT_S)
    assert fake.starts() == 1
    bodies = {}
    for fmt, r in results:
        assert isinstance(r, requests.Response), r
        assert r.status_code == 200, r.text
        bodies.setdefault(fmt, set()).add(r.content)
    assert len(bodies["zip"]) == 1 and len(bodies["tar.gz"]) == 1
    files = zip_members(bodies["zip"].pop())
    assert files == {"acme/base/v1/money.fake.go": b"// generated from acme/base/v1/money.proto\n",
                     "acme/shop/v1/order.fake.go": b"// generated from acme/shop/v1/order.proto\n"}
    samples = wait_metric(health, lambda s: metric(s, "spoke_codegen_queue_depth") == 0, "an empty queue")
    assert metric(samples, "spoke_codegen_jobs_total", language="go", outcome="generated") == 1
    # Later requests find it in storage.
    download_ok(c, app, "go", fmt="tar.gz")
    assert fake.starts() == 1


def test_a_full_queue_answers_503_with_retry_after(spawn_spoke, tmp_path):
    fake = FakeGoPlugin(tmp_path / "bin", "gate")
    p = spawn_spoke(env=fake.env(SPOKE_CODEGEN_QUEUE="1"))
    c, health = p.client(), SpokeClient(p.health_url)
    app, _ = push_schema(c)
    stored = download_ok(c, app, "ruby")  # generated before the queue fills
    try:
        job = start_compile(c, app, ["go"])
        fake.wait_started()
        # The one slot is taken: new work is refused at once, stored work is still served.
        r = download(c, app, "cpp")
        assert_error(r, 503, "UNAVAILABLE")
        assert r.headers.get("Retry-After") == "1"
        r = c.post(compile_path(app), json={"languages": ["cpp"]})
        assert_error(r, 503, "UNAVAILABLE")
        assert r.headers.get("Retry-After") == "1"
        assert download_ok(c, app, "ruby") == stored
        # Asking for the generation in progress joins it instead of taking a slot.
        joined = start_compile(c, app, ["go"])
        assert joined["results"][0]["status"] in ("queued", "running")
        samples = scrape_metrics(health)
        assert metric(samples, "spoke_codegen_jobs_total", language="cpp", outcome="rejected") == 2
        assert metric(samples, "spoke_codegen_queue_depth") == 1
    finally:
        fake.open_gate()
    assert wait_for_job(c, app, job)["results"][0]["status"] == "completed"
    assert wait_for_job(c, app, joined)["results"][0]["status"] == "completed"
    wait_metric(health, lambda s: metric(s, "spoke_codegen_queue_depth") == 0, "an empty queue")
    assert zip_members(download_ok(c, app, "cpp"))
    assert fake.starts() == 1


def test_a_generation_past_its_deadline_fails(spawn_spoke, tmp_path):
    fake = FakeGoPlugin(tmp_path / "bin", "hang")
    p = spawn_spoke(env=fake.env(SPOKE_CODEGEN_TIMEOUT="1s"))
    c, health = p.client(), SpokeClient(p.health_url)
    app, _ = push_schema(c)
    started = time.monotonic()
    r = download(c, app, "go")
    assert_error(r, 503, "UNAVAILABLE")
    assert time.monotonic() - started < 10
    job = wait_for_job(c, app, start_compile(c, app, ["go"]))
    assert job["results"][0]["status"] == "failed", job
    assert "deadline" in job["results"][0]["error"] or "timed out" in job["results"][0]["error"], job
    assert codegen_count(health, "go", "failed") == 2
    assert fake.starts() == 2  # failures are not stored: each request tried again


def test_a_generator_that_crashes_is_a_422_not_a_500(spawn_spoke, tmp_path):
    fake = FakeGoPlugin(tmp_path / "bin", "crash")
    p = spawn_spoke(env=fake.env())
    c, health = p.client(), SpokeClient(p.health_url)
    app, _ = push_schema(c)
    body = assert_error(download(c, app, "go"), 422, "INVALID_PROTO")
    assert body["error"].startswith("generation failed: go"), body
    # Neither the plugin's path nor its output reaches the client.
    assert fake.dir not in body["error"] and "panic" not in body["error"], body
    job = wait_for_job(c, app, start_compile(c, app, ["go"]))
    result = job["results"][0]
    assert result["status"] == "failed" and result["error"].startswith("generation failed: go"), job
    assert fake.dir not in result["error"], job
    assert codegen_count(health, "go", "failed") == 2
