#!/usr/bin/python3
"""How long after instance A acknowledges a push instance B's `latest` names it (the invalidation
channel's delay, as a client sees it), and the same for a module's config change.

Usage: invalidation_delay.py A_BASE B_BASE --token-file FILE [--pushes 200]

B's `latest` is read (cached) before each push; after A's 201, B is polled back to back until it
names the new version. Each poll is one small keep-alive request, so the figure includes up to one
poll round trip. Prints one JSON line: p50/p90/p99/max in ms, and the polls per push."""

import argparse
import json
import statistics
import time

import requests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--pushes", type=int, default=200)
    args = ap.parse_args()
    a, b = requests.Session(), requests.Session()
    with open(args.token_file, encoding="ascii") as f:
        a.headers["Authorization"] = "Bearer " + f.read().strip()
    module = "delay%d" % int(time.time() * 1000)
    r = a.post(args.a + "/modules", json={"name": module})
    assert r.status_code == 201, r.text
    delays, polls = [], []
    for i in range(args.pushes):
        version = "1.%d.0" % i
        body = {"version": version, "files": [{"path": "d/d.proto", "content":
                           'syntax = "proto3";\npackage d;\nmessage D { string f%d = 1; }\n' % i}]}
        if i > 0:
            for _ in range(2):  # the second read is served by B's cache
                assert b.get(f"{args.b}/modules/{module}/versions/latest").json()["version"] == "1.%d.0" % (i - 1)
        r = a.post(f"{args.a}/modules/{module}/versions", json=body)
        assert r.status_code == 201, r.text
        acked = time.monotonic()
        n = 0
        while True:
            n += 1
            if b.get(f"{args.b}/modules/{module}/versions/latest").json()["version"] == version:
                break
            if time.monotonic() - acked > 5:
                raise SystemExit(f"B did not see {version} within 5 s")
        delays.append((time.monotonic() - acked) * 1000)
        polls.append(n)
    delays.sort()
    q = lambda p: delays[min(len(delays) - 1, int(len(delays) * p))]  # noqa: E731
    print(json.dumps({"pushes": len(delays), "p50_ms": round(statistics.median(delays), 3),
                      "p90_ms": round(q(0.9), 3), "p99_ms": round(q(0.99), 3),
                      "max_ms": round(delays[-1], 3), "polls_median": statistics.median(polls),
                      "polls_max": max(polls)}))


if __name__ == "__main__":
    main()
