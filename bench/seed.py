#!/usr/bin/python3
"""Seeds a running spoke-server with MODULES modules x VERSIONS versions for the benchmark, and
writes the files wrk's Lua scripts read (paths to cycle through, the push template).

Usage: seed.py BASE_URL OUT_DIR --token-file FILE [--modules 1000] [--versions 5] [--threads 16]

FILE holds an API token with the write scope (bench/lib.sh make_token): module creations and
pushes send it as Authorization: Bearer.

Each version has 2-3 small .proto files; about half of the versions after the first import a file
of another module's earlier version through `dependencies`. Versions are pushed one "generation" at
a time (all modules' 1.0.0, then all 1.1.0, ...) so every dependency exists before it is named.
Prints one JSON line with the counts, wall times and the push rate."""

import argparse
import concurrent.futures
import json
import os
import sys
import time

from bench_session import session, use_token

JSON = {"Content-Type": "application/json"}


def module_name(i):
    return "bench%04d" % i


def version_name(gen):
    return "1.%d.0" % gen


def dependency_of(i, gen, modules):
    """(module index, generation) this version depends on, or None. Deterministic."""
    if gen == 0 or i % 2 == 1:
        return None
    return (i * 7 + 3) % modules, gen - 1


def files_for(i, gen, dep):
    """The .proto files of module i at generation gen; later generations only add fields."""
    name = module_name(i)
    pkg = "%s.v1" % name
    extra = "".join("  string note_%d = %d;\n" % (k, 10 + k) for k in range(gen))
    types = (
        'syntax = "proto3";\n'
        "package %s;\n\n"
        'import "google/protobuf/timestamp.proto";\n\n'
        "enum Kind {\n  KIND_UNSPECIFIED = 0;\n  KIND_PRIMARY = 1;\n  KIND_SECONDARY = 2;\n}\n\n"
        "message Item {\n  string id = 1;\n  Kind kind = 2;\n"
        "  google.protobuf.Timestamp created_at = 3;\n  map<string, string> labels = 4;\n%s}\n"
        % (pkg, extra)
    )
    dep_import, dep_field = "", ""
    if dep is not None:
        dname = module_name(dep[0])
        dep_import = 'import "%s/v1/types.proto";\n' % dname
        dep_field = "  %s.v1.Item related = 3;\n" % dname
    service = (
        'syntax = "proto3";\n'
        "package %s;\n\n"
        'import "%s/v1/types.proto";\n%s\n'
        "message GetItemRequest {\n  string id = 1;\n  bool include_labels = 2;\n%s}\n\n"
        "message GetItemResponse {\n  Item item = 1;\n}\n\n"
        "service ItemService {\n  rpc GetItem(GetItemRequest) returns (GetItemResponse);\n}\n"
        % (pkg, name, dep_import, dep_field)
    )
    files = [
        {"path": "%s/v1/types.proto" % name, "content": types},
        {"path": "%s/v1/service.proto" % name, "content": service},
    ]
    if i % 3 == 0:
        files.append({
            "path": "%s/v1/events.proto" % name,
            "content": 'syntax = "proto3";\npackage %s;\n\nimport "%s/v1/types.proto";\n\n'
                       "message ItemChanged {\n  Item before = 1;\n  Item after = 2;\n}\n"
                       % (pkg, name),
        })
    return files


def post(base, path, body, ok=(200, 201)):
    r = session().post(base + path, data=json.dumps(body), headers=JSON, timeout=30)
    if r.status_code not in ok:
        raise RuntimeError("POST %s -> %d %s" % (path, r.status_code, r.text[:300]))
    return r


def push(base, modules, i, gen):
    dep = dependency_of(i, gen, modules)
    body = {"version": version_name(gen), "files": files_for(i, gen, dep),
            "dependencies": [] if dep is None else
            ["%s@%s" % (module_name(dep[0]), version_name(dep[1]))]}
    post(base, "/modules/%s/versions" % module_name(i), body)


def run_all(pool, fn, items):
    """Runs fn over items on the pool; the first failure stops the seeding."""
    for f in concurrent.futures.as_completed([pool.submit(fn, x) for x in items]):
        f.result()


def write_outputs(out, modules, versions, push_modules):
    """Lists for the Lua scripts: one path per line."""
    with open(os.path.join(out, "version_paths.txt"), "w") as f:
        for i in range(modules):
            for gen in range(versions):
                f.write("/modules/%s/versions/%s\n" % (module_name(i), version_name(gen)))
    # Reads that no response cache answers: "latest" is resolved on every request, and a module's
    # page lists its versions from storage.
    with open(os.path.join(out, "latest_paths.txt"), "w") as f:
        f.write("".join("/modules/%s/versions/latest\n" % module_name(i) for i in range(modules)))
    with open(os.path.join(out, "module_paths.txt"), "w") as f:
        f.write("".join("/modules/%s\n" % module_name(i) for i in range(modules)))
    with open(os.path.join(out, "file_paths.txt"), "w") as f:
        for i in range(modules):
            for gen in range(versions):
                for file in files_for(i, gen, dependency_of(i, gen, modules)):
                    f.write("/modules/%s/versions/%s/files/%s\n"
                            % (module_name(i), version_name(gen), file["path"]))
    # The push scenario's body, with VERSION as a placeholder the Lua script fills in: the same
    # shape as a seeded version (3 files, one dependency on a seeded version).
    template = {"version": "VERSION", "files": files_for(0, versions - 1, (7, versions - 1)),
                "dependencies": ["%s@%s" % (module_name(7), version_name(versions - 1))]}
    with open(os.path.join(out, "push_body.json"), "w") as f:
        f.write(json.dumps(template))
    with open(os.path.join(out, "push_modules.txt"), "w") as f:
        f.write("".join("%s\n" % m for m in push_modules))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("--modules", type=int, default=1000)
    ap.add_argument("--versions", type=int, default=5)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--push-modules", type=int, default=64)
    ap.add_argument("--token-file", required=True)
    a = ap.parse_args()
    with open(a.token_file) as f:
        token = f.read().strip()
    if not token:
        raise RuntimeError("no token in %s" % a.token_file)
    use_token(token)
    base = a.base.rstrip("/")
    push_modules = ["benchpush%02d" % k for k in range(a.push_modules)]

    with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
        t0 = time.monotonic()
        names = [module_name(i) for i in range(a.modules)] + push_modules
        run_all(pool, lambda n: post(base, "/modules", {"name": n, "description": "bench"}), names)
        t1 = time.monotonic()
        for gen in range(a.versions):
            run_all(pool, lambda i, gen=gen: push(base, a.modules, i, gen), range(a.modules))
        t2 = time.monotonic()

    write_outputs(a.out, a.modules, a.versions, push_modules)
    pushes = a.modules * a.versions
    print(json.dumps({
        "modules": len(names), "versions": pushes, "client_threads": a.threads,
        "create_seconds": round(t1 - t0, 2), "creates_per_s": round(len(names) / (t1 - t0), 1),
        "push_seconds": round(t2 - t1, 2), "pushes_per_s": round(pushes / (t2 - t1), 1),
    }))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a seeding failure is fatal for the benchmark: say why, exit non-zero
        print("seed.py: %s" % e, file=sys.stderr)
        sys.exit(1)
