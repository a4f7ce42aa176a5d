#!/usr/bin/python3
"""Sends an exact number of requests, one at a time over one keep-alive connection, and fails on
any unexpected status. bench/postgres.sh brackets it with PostgreSQL's transaction counters to
get statements per request, so every request must be counted and none may be repeated.

Usage:
  fixed_requests.py BASE_URL get PATHS_FILE COUNT [TOKEN_FILE]
      GETs the paths of the list in turn (wrapping around), expecting 200; with TOKEN_FILE, each
      request carries that token (an authenticated read).
  fixed_requests.py BASE_URL push BODY_FILE MODULES_FILE TAG COUNT TOKEN_FILE
      POSTs new versions (the seed.py push template, version 3.TAG.N) round-robin over the
      modules, expecting 201. TAG must differ between calls against the same data. TOKEN_FILE
      holds an API token with the write scope (bench/lib.sh make_token), sent as Authorization.
Prints one JSON line: {"requests": N, "seconds": S}."""

import http.client
import json
import sys
import time
import urllib.parse


def lines(path):
    with open(path) as f:
        out = [line.strip() for line in f if line.strip()]
    if not out:
        raise RuntimeError("no lines in %s" % path)
    return out


def main():
    base = urllib.parse.urlsplit(sys.argv[1])
    mode = sys.argv[2]
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
    requests = []
    headers = {}
    if mode == "get":
        paths, count = lines(sys.argv[3]), int(sys.argv[4])
        if len(sys.argv) > 5:
            headers = {"Authorization": "Bearer " + lines(sys.argv[5])[0]}
        requests = [("GET", paths[k % len(paths)], None, 200) for k in range(count)]
    elif mode == "push":
        with open(sys.argv[3]) as f:
            template = f.read()
        if len(sys.argv) < 8:
            raise RuntimeError("push needs BODY_FILE MODULES_FILE TAG COUNT TOKEN_FILE")
        modules, tag, count = lines(sys.argv[4]), sys.argv[5], int(sys.argv[6])
        headers = {"Content-Type": "application/json",
                   "Authorization": "Bearer " + lines(sys.argv[7])[0]}
        for k in range(count):
            body = template.replace("VERSION", "3.%s.%d" % (tag, k), 1).encode()
            requests.append(("POST", "/modules/%s/versions" % modules[k % len(modules)], body, 201))
    else:
        raise RuntimeError("unknown mode %r" % mode)

    t0 = time.monotonic()
    for method, path, body, expected in requests:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        if r.status != expected:
            raise RuntimeError("%s %s -> %d %s" % (method, path, r.status, data[:300]))
    seconds = time.monotonic() - t0
    conn.close()
    print(json.dumps({"requests": len(requests), "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the count would be wrong: say why, exit non-zero
        print("fixed_requests.py: %s" % e, file=sys.stderr)
        sys.exit(1)
