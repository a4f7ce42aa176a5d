#!/usr/bin/python3
"""Pushes the way CI pipelines do: CLIENTS clients, each pushing VERSIONS successive versions of its
own module, every version importing a file of one shared module (its 1.0.0, pushed first). The
modules keep the default compatibility level (BACKWARD), so every push after a module's first is
gated against the version before it. Prints one JSON line: pushes per second, latency median and
p99, and the failures (any non-2xx answer; the run goes on).

Usage: push_clients.py BASE_URL --token-file FILE [--clients 16] [--versions 12] [--tag T]

TAG makes the module names unique, so runs against the same server do not collide."""

import argparse
import concurrent.futures
import json
import sys
import threading
import time

from bench_session import session, use_token

JSON = {"Content-Type": "application/json"}


def post(base, path, body):
    t0 = time.monotonic()
    r = session().post(base + path, data=json.dumps(body), headers=JSON, timeout=120)
    return r.status_code, r.text[:300], time.monotonic() - t0


def shared_files(name):
    """A shared package of a few files; the clients import one of them."""
    pkg = "%s.v1" % name
    files = []
    for k in range(6):
        files.append({
            "path": "%s/v1/part%d.proto" % (name, k),
            "content": 'syntax = "proto3";\npackage %s;\n\nmessage Part%d {\n  string id = 1;\n'
                       "  int64 size = 2;\n  repeated string tags = 3;\n}\n" % (pkg, k),
        })
    return files


def client_files(name, shared, gen):
    """Version `gen` of a client module: each generation adds a field (a compatible change)."""
    pkg = "%s.v1" % name
    extra = "".join("  string note_%d = %d;\n" % (k, 10 + k) for k in range(gen))
    return [
        {"path": "%s/v1/types.proto" % name,
         "content": 'syntax = "proto3";\npackage %s;\n\nimport "%s/v1/part0.proto";\n\n'
                    "message Item {\n  string id = 1;\n  %s.v1.Part0 part = 2;\n%s}\n"
                    % (pkg, shared, shared, extra)},
        {"path": "%s/v1/service.proto" % name,
         "content": 'syntax = "proto3";\npackage %s;\n\nimport "%s/v1/types.proto";\n\n'
                    "message GetItemRequest {\n  string id = 1;\n}\n\n"
                    "service ItemService {\n  rpc GetItem(GetItemRequest) returns (Item);\n}\n"
                    % (pkg, name)},
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--versions", type=int, default=12)
    ap.add_argument("--tag", default="0")
    a = ap.parse_args()
    with open(a.token_file) as f:
        use_token(f.read().strip())
    base = a.base.rstrip("/")
    shared = "pushshared%s" % a.tag
    clients = ["pushclient%s_%02d" % (a.tag, k) for k in range(a.clients)]

    for name in [shared] + clients:
        status, text, _ = post(base, "/modules", {"name": name, "description": "bench"})
        if status != 201:
            raise RuntimeError("creating %s: %d %s" % (name, status, text))
    status, text, _ = post(base, "/modules/%s/versions" % shared,
                           {"version": "1.0.0", "files": shared_files(shared)})
    if status != 201:
        raise RuntimeError("pushing %s: %d %s" % (shared, status, text))

    latencies, failures = [], []
    lock = threading.Lock()

    def client(name):
        for gen in range(a.versions):
            body = {"version": "1.%d.0" % gen, "files": client_files(name, shared, gen),
                    "dependencies": ["%s@1.0.0" % shared]}
            status, text, took = post(base, "/modules/%s/versions" % name, body)
            with lock:
                latencies.append(took)
                if status != 201:
                    failures.append("%s 1.%d.0: %d %s" % (name, gen, status, text))

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
        for f in [pool.submit(client, c) for c in clients]:
            f.result()
    wall = time.monotonic() - t0
    latencies.sort()
    n = len(latencies)
    print(json.dumps({
        "pushes": n, "clients": len(clients), "seconds": round(wall, 2),
        "pushes_per_s": round(n / wall, 1),
        "p50_ms": round(1000 * latencies[n // 2], 1),
        "p99_ms": round(1000 * latencies[min(n - 1, (n * 99) // 100)], 1),
        "failures": len(failures), "first_failure": failures[0] if failures else None,
    }))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        print("push_clients.py: %s" % e, file=sys.stderr)
        sys.exit(1)
