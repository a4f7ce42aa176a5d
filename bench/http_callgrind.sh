#!/usr/bin/env bash
# bench/http_callgrind.sh: instructions per request of the HTTP path, counted exactly by callgrind
# (this box's timings vary 2-3x; instruction counts do not). For each binary given: start it
# under callgrind with collection off, seed one module with one version (a small file and a
# 256 KiB one) and the small file as a Confluent schema, warm up, collect over N keep-alive GETs
# of (a) the hot version, (b) the large file, (c) the schema by id and the subject's latest
# version, and print Ir per request. Compare binaries in the same run (e.g. before/after a change).
#
# Usage: bench/http_callgrind.sh BIN [BIN...]   (N: BENCH_CALLGRIND_REQUESTS, default 2000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${BENCH_CALLGRIND_REQUESTS:-2000}
PY=/usr/bin/python3
work=$(mktemp -d /tmp/spoke-callgrind.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 10000))
health=$((port + 1))
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ), $N requests per row, Ir = instructions counted by callgrind"
printf '%-40s %-14s %14s\n' binary scenario Ir/request
for bin in "$@"; do
  data=$work/data-$(basename "$bin")-$RANDOM
  SPOKE_PORT=$port SPOKE_HEALTH_PORT=$health SPOKE_HOST=127.0.0.1 SPOKE_THREADS=1 \
    SPOKE_WORKER_THREADS=1 SPOKE_FILESYSTEM_ROOT=$data SPOKE_LOG_LEVEL=warn \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.%p" \
    "$bin" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$health/health/live" >/dev/null 2>&1 && break
    sleep 0.2
  done
  base=http://127.0.0.1:$port
  # Writes need a token (bootstrap command, same storage); binaries from before authentication
  # have no `token` command (exit 2) and need none.
  auth=()
  if token=$(SPOKE_FILESYSTEM_ROOT=$data "$bin" token create --name callgrind --scope write 2>/dev/null); then
    auth=(-H "Authorization: Bearer $token")
  fi
  curl -sf -XPOST "$base/modules" -H 'Content-Type: application/json' "${auth[@]}" \
    -d '{"name":"cg"}' >/dev/null
  ($PY - "$base" "${token:-}" <<'PYEOF'
import json, sys, urllib.error, urllib.request
base, token = sys.argv[1], sys.argv[2]
big = 'syntax = "proto3";\npackage cg.big;\n' + "".join("// %s\n" % ("x" * 120) for _ in range(2100))
small = 'syntax = "proto3";\npackage cg.v1;\nmessage Item {\n  string id = 1;\n  int64 n = 2;\n}\n'
body = {"version": "1.0.0", "files": [{"path": "cg/v1/item.proto", "content": small},
                                       {"path": "cg/big/big.proto", "content": big}]}
headers = {"Content-Type": "application/json"}
if token:
    headers["Authorization"] = "Bearer " + token
req = urllib.request.Request(base + "/modules/cg/versions", data=json.dumps(body).encode(),
                             headers=headers, method="POST")
urllib.request.urlopen(req, timeout=60).read()
# The same small file as a Confluent subject's schema (issue 14); binaries from before the
# dialect answer 404 and get no confluent rows.
body = {"schemaType": "PROTOBUF", "schema": small}
req = urllib.request.Request(base + "/subjects/cg%2Fv1%2Fitem.proto/versions",
                             data=json.dumps(body).encode(), headers=headers, method="POST")
try:
    print(json.load(urllib.request.urlopen(req, timeout=60))["id"])
except urllib.error.HTTPError:
    pass
PYEOF
  ) >"$work/schema-id"
  echo /modules/cg/versions/1.0.0 >"$work/hot.txt"
  echo /modules/cg/versions/1.0.0/files/cg/big/big.proto >"$work/big.txt"
  rows=(hot big)
  # What a Kafka deserializer asks (the schema under an id) and what `use.latest.version` asks.
  if [ -s "$work/schema-id" ]; then
    echo "/schemas/ids/$(cat "$work/schema-id")" >"$work/confluent-id.txt"
    echo /subjects/cg%2Fv1%2Fitem.proto/versions/latest >"$work/confluent-latest.txt"
    rows+=(confluent-id confluent-latest)
  fi
  # The hot GET again with a (cached) API token: what authenticating a read costs.
  if [ -n "${token:-}" ]; then
    cp "$work/hot.txt" "$work/hot-token.txt"
    printf '%s\n' "$token" >"$work/token"
    rows+=(hot-token)
  fi
  for row in "${rows[@]}"; do
    creds=()
    [ "$row" = hot-token ] && creds=("$work/token")
    $PY "$here/fixed_requests.py" "$base" get "$work/$row.txt" 200 "${creds[@]}" >/dev/null  # warm-up
    rm -f "$work"/cg.*.*
    callgrind_control -z "$pid" >/dev/null 2>&1
    callgrind_control -i on "$pid" >/dev/null 2>&1
    $PY "$here/fixed_requests.py" "$base" get "$work/$row.txt" "$N" "${creds[@]}" >/dev/null
    callgrind_control -i off "$pid" >/dev/null 2>&1
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 0.5
    ir=$(cat "$work"/cg."$pid".* 2>/dev/null | sed -n 's/^totals: //p' | awk '{s+=$1} END {print s+0}')
    printf '%-40s %-14s %14d\n' "$(basename "$(dirname "$bin")")/$(basename "$bin")" \
      "$(case $row in hot) echo hot-version ;; big) echo file-256KiB ;; hot-token) echo hot-with-token ;;
        *) echo "$row" ;; esac)" \
      $((ir / N))
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
done
