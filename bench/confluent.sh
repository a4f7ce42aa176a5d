#!/usr/bin/env bash
# bench/confluent.sh: what registering through Confluent's dialect costs (issue 14), against a
# push of the same file through the module API on the same server in the same run
# (bench/confluent_register.py), on filesystem storage. Server: one loop, one worker, pinned to
# CPU0; the client on CPU1. For GET /schemas/ids/{id} against the hot version GET, in exact
# instruction counts, see bench/http_callgrind.sh.
#
# Usage: bench/confluent.sh   (BENCH_ROUNDS 5, BENCH_VERSIONS 40; SPOKE_SERVER_BIN to reuse a build)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PY=/usr/bin/python3
HOST=127.0.0.1
. "$here/lib.sh"

work=$(mktemp -d /tmp/spoke-bench.XXXXXX)
mkdir -p "$work/results"
started_pids=()
trap cleanup EXIT
trap 'exit 130' INT TERM

build_server
echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
SERVER_ENV=(SPOKE_STORAGE_TYPE=filesystem SPOKE_FILESYSTEM_ROOT="$work/data" SPOKE_WORKER_THREADS=1)
start_server spoke 1 reuseport 0
make_token "$work/token"
taskset -c 1 "$PY" "$here/confluent_register.py" "http://$HOST:$API_PORT" "$work/token" \
  --rounds "${BENCH_ROUNDS:-5}" --versions "${BENCH_VERSIONS:-40}"
