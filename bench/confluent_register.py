#!/usr/bin/python3
"""Registration through Confluent's dialect against a push of the same file through Spoke's
module API, on one server, one request at a time over one keep-alive connection each.

Each round registers VERSIONS successive versions of one new subject (POST
/subjects/{s}/versions, the default BACKWARD level, so every version after the first is compiled
and checked against the one before) and pushes VERSIONS successive versions of one new module
(POST /modules/{m}/versions, at the modules' default level, BACKWARD too) with the same file text. The two alternate request by
request, so drift in background load hits both alike. Prints one JSON line per round and a
summary line: medians of the per-request milliseconds and their ratio.

Usage: confluent_register.py BASE_URL TOKEN_FILE [--rounds 5] [--versions 40] [--tag T]"""

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def schema(package, fields):
    body = "".join("  string f%d = %d;\n" % (k, k) for k in range(1, fields + 1))
    return 'syntax = "proto3";\npackage %s;\n\nmessage Event {\n%s}\n' % (package, body)


class Client:
    def __init__(self, base, token):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}

    def call(self, method, path, body, expected):
        t0 = time.monotonic()
        self.conn.request(method, path, body=json.dumps(body), headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != expected:
            raise RuntimeError("%s %s -> %d %s" % (method, path, r.status, data[:300]))
        return (time.monotonic() - t0) * 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("token_file")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--versions", type=int, default=40)
    ap.add_argument("--tag", default=str(int(time.time())))
    args = ap.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    confluent, modules = Client(args.base, token), Client(args.base, token)
    rounds = []
    for n in range(args.rounds):
        name = "bench%s%d" % (args.tag, n)
        subject = urllib.parse.quote("%s/event.proto" % name, safe="")
        modules.call("POST", "/modules", {"name": name}, 201)
        registered, pushed = [], []
        for v in range(1, args.versions + 1):
            text = schema("%s.v1" % name, v)
            registered.append(confluent.call("POST", "/subjects/%s/versions" % subject,
                                             {"schemaType": "PROTOBUF", "schema": text}, 200))
            pushed.append(modules.call("POST", "/modules/%s/versions" % name,
                                       {"version": "1.%d.0" % v,
                                        "files": [{"path": "%s/event.proto" % name,
                                                   "content": text}]}, 201))
        row = {"round": n, "register_ms": round(statistics.median(registered), 3),
               "push_ms": round(statistics.median(pushed), 3)}
        rounds.append(row)
        print(json.dumps(row), flush=True)
    register = statistics.median(r["register_ms"] for r in rounds)
    push = statistics.median(r["push_ms"] for r in rounds)
    print(json.dumps({"summary": True, "versions_per_round": args.versions,
                      "register_ms_median": round(register, 3), "push_ms_median": round(push, 3),
                      "register_over_push": round(register / push, 3)}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        print("confluent_register.py: %s" % e, file=sys.stderr)
        sys.exit(1)
