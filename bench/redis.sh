#!/usr/bin/env bash
# bench/redis.sh: what Redis gives the postgres storage type (issue 12). Starts PostgreSQL, S3 and
# Redis with the project's harness, seeds a pinned spoke-server, and measures in the same rounds:
#   latest-pg           `latest` without Redis: PostgreSQL on every request (issue 11's path)
#   latest-l1           `latest` with Redis: served by the coherent L1
#   latest-l1-limited   the same with a (never reached) shared rate limit: one EVALSHA per request
#   version-l1          exact versions, hot in the in-process caches
#   version-l2          exact versions with the in-process caches off (SPOKE_L1_CACHE_SIZE=0):
#                       every read is a Redis GET of the snapshot (digests checked)
#   version-pg          the same without Redis: PostgreSQL and S3 on every read
#   redis-benchmark     GET of a value the size of one snapshot, and pgbench -S: the baselines
# and then the invalidation delay between two instances (bench/invalidation_delay.py).
# Prints numbers only: nothing here passes or fails on timing. See bench/README.md.
#
# Settings (environment): BENCH_DURATION (10s), BENCH_REPEATS (3), BENCH_CONNECTIONS (64),
# BENCH_MODULES (300), BENCH_VERSIONS (5), BENCH_PG_CONNS (20), BENCH_PUSHES (200: invalidation
# delay samples), PG_BIN.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DURATION=${BENCH_DURATION:-10s}
REPEATS=${BENCH_REPEATS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
MODULES=${BENCH_MODULES:-300}
VERSIONS=${BENCH_VERSIONS:-5}
PG_CONNS=${BENCH_PG_CONNS:-20}
PUSHES=${BENCH_PUSHES:-200}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGBENCH=$PG_BIN/pgbench
PY=/usr/bin/python3
HOST=127.0.0.1
dur_s=${DURATION%s}
wrk_timeout=$((dur_s + 30))
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

if [ "${BENCH_REDIS_INNER:-}" != 1 ]; then
  for tool in wrk taskset curl psql redis-benchmark redis-cli "$PGBENCH" "$PY"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
  done
  [ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs" >&2; exit 1; }
  build_server
  export SPOKE_SERVER_BIN=$BIN BENCH_REDIS_INNER=1
  exec "$root/tests/harness/services.sh" run --with-s3 --with-redis -- "$here/redis.sh"
fi

for v in PGPORT PG_PRIMARY_URL S3_ENDPOINT S3_BUCKET S3_ACCESS_KEY S3_SECRET_KEY S3_REGION REDIS_PORT; do
  [ -n "${!v:-}" ] || { echo "bench: $v not set: run bench/redis.sh itself" >&2; exit 1; }
done

work=$(mktemp -d /tmp/spoke-bench-redis.XXXXXX)
mkdir -p "$work/results"
started_pids=()
trap cleanup EXIT
trap 'exit 130' INT TERM
build_server

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(redis-server --version | cut -d' ' -f1-3) on :$REDIS_PORT (unpinned), $("$PG_BIN/postgres" --version)" \
  "on :$PGPORT (unpinned), s3rver at $S3_ENDPOINT"
echo "== spoke-server SPOKE_THREADS=1 on CPU0; wrk -t1 -c$CONNS -d$DURATION, pgbench and" \
  "redis-benchmark on CPU1; $REPEATS runs each, medians"

psql_at() { timeout 60 psql "postgresql://postgres@$HOST:$1/$2?connect_timeout=5" -X -Atq -v ON_ERROR_STOP=1 -c "$3"; }
DB=spoke_bench
psql_at "$PGPORT" postgres "CREATE DATABASE $DB" >/dev/null
psql_at "$PGPORT" postgres "CREATE DATABASE pgbench" >/dev/null
timeout 600 "$PGBENCH" -i -s 10 -q -h "$HOST" -p "$PGPORT" -U postgres pgbench >"$work/pgbench-init.log" 2>&1

BASE_ENV=(
  SPOKE_STORAGE_TYPE=postgres
  SPOKE_POSTGRES_URL="${PG_PRIMARY_URL%/*}/$DB"
  SPOKE_POSTGRES_MAX_CONNS="$PG_CONNS"
  SPOKE_S3_ENDPOINT="$S3_ENDPOINT" SPOKE_S3_BUCKET="$S3_BUCKET" SPOKE_S3_REGION="$S3_REGION"
  SPOKE_S3_ACCESS_KEY="$S3_ACCESS_KEY" SPOKE_S3_SECRET_KEY="$S3_SECRET_KEY"
  SPOKE_S3_USE_PATH_STYLE=true SPOKE_RATE_LIMIT=0
)
REDIS_ENV=(SPOKE_REDIS_URL="redis://$HOST:$REDIS_PORT/0")

SERVER_ENV=("${BASE_ENV[@]}")
echo "== seeding $MODULES modules x $VERSIONS versions"
start_server spoke-seed 1 reuseport 0
make_token "$work/token"
echo "   $(taskset -c 1 timeout 1200 "$PY" "$here/seed.py" "http://$HOST:$API_PORT" "$work" \
  --modules "$MODULES" --versions "$VERSIONS" --token-file "$work/token")"
stop_pid "$SERVER_PID"

# scenario NAME PATHS_FILE ENV...: a fresh pinned server with ENV, 2 s of warm-up, one run.
scenario() {
  local name=$1 paths=$2
  shift 2
  SERVER_ENV=("${BASE_ENV[@]}" "$@")
  start_server "spoke-$name" 1 reuseport 0
  local pid=$SERVER_PID base=http://$HOST:$API_PORT
  warm 1 "$base/" "$here/lua/paths.lua" "$paths"
  run_wrk "$name" 1 "$pid" "$base/" "$here/lua/paths.lua" "$paths"
  curl -sf "http://$HOST:$HEALTH_PORT/metrics" |
    grep -E '^spoke_(coherent_cache_requests|shared_cache_requests|cache_hits|cache_misses|redis_commands|redis_errors)' \
      >"$work/$name.metrics" || true
  stop_pid "$pid"
}

snap_bytes=0
for ((rep = 1; rep <= REPEATS; rep++)); do
  echo "== run $rep/$REPEATS"
  scenario latest-pg "$work/latest_paths.txt"
  scenario latest-l1 "$work/latest_paths.txt" "${REDIS_ENV[@]}"
  scenario latest-l1-limited "$work/latest_paths.txt" "${REDIS_ENV[@]}" SPOKE_RATE_LIMIT=100000000/s
  scenario version-l1 "$work/version_paths.txt" "${REDIS_ENV[@]}"
  scenario version-l2 "$work/version_paths.txt" "${REDIS_ENV[@]}" SPOKE_L1_CACHE_SIZE=0
  scenario version-pg "$work/version_paths.txt" SPOKE_L1_CACHE_SIZE=0
  # One snapshot's size as Redis holds it, for the baseline's value size.
  key=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'spoke:snap:*' | awk 'NR == 1')
  snap_bytes=$(redis-cli -p "$REDIS_PORT" strlen "$key")
  out=$(taskset -c 1 redis-benchmark -h "$HOST" -p "$REDIS_PORT" -c "$CONNS" -n 200000 -d "$snap_bytes" \
    -t get -q --csv 2>/dev/null | tail -1)
  echo "$out" | awk -F'"' '{printf "%.0f - - 0 - -\n", $4}' >>"$work/results/redis-benchmark-GET"
  echo "   redis-benchmark GET -d $snap_bytes -c $CONNS: $(tail -1 "$work/results/redis-benchmark-GET" | cut -d' ' -f1) req/s"
  out=$(taskset -c 1 timeout "$wrk_timeout" "$PGBENCH" -S -n -c "$PG_CONNS" -j 1 -T "$dur_s" \
    -h "$HOST" -p "$PGPORT" -U postgres pgbench 2>&1)
  echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | awk '{printf "%.0f - - 0 - -\n", $1}' \
    >>"$work/results/pgbench-S"
  echo "   pgbench -S: $(tail -1 "$work/results/pgbench-S" | cut -d' ' -f1) tps"
done

# BENCH_REPEATS=0: only the invalidation delay.
((REPEATS > 0)) && echo "== hit rates, last run of each scenario (from /metrics)"
for f in "$work"/*.metrics; do
  [ -e "$f" ] || continue
  echo "   $(basename "$f" .metrics): $(paste -sd' ' "$f" | sed 's/spoke_//g')"
done
echo "== invalidation delay: two unpinned instances with Redis, $PUSHES pushes through A, B polled"
SERVER_ENV=("${BASE_ENV[@]}" "${REDIS_ENV[@]}")
start_server spoke-a 1 reuseport ""
a_pid=$SERVER_PID a_base=http://$HOST:$API_PORT
start_server spoke-b 1 reuseport ""
b_pid=$SERVER_PID b_base=http://$HOST:$API_PORT
delay=$(timeout 600 "$PY" "$here/invalidation_delay.py" "$a_base" "$b_base" --token-file "$work/token" \
  --pushes "$PUSHES")
echo "   $delay"
stop_pid "$a_pid"
stop_pid "$b_pid"

echo
if ((REPEATS == 0)); then
  echo "invalidation delay (A's 201 to B's latest): $delay"
  exit 0
fi
echo "== results: medians of $REPEATS runs (snapshot value $snap_bytes bytes)"
base_redis=$(col redis-benchmark-GET 1)
base_pg=$(col pgbench-S 1)
printf "%-20s %9s %8s %8s %7s %9s %12s %12s\n" scenario "req/s" "p50 ms" "p99 ms" errors "spoke CPU" \
  "vs redis GET" "vs pgbench-S"
for s in latest-pg latest-l1 latest-l1-limited version-l1 version-l2 version-pg redis-benchmark-GET pgbench-S; do
  rps=$(col "$s" 1)
  printf "%-20s %9s %8s %8s %7s %9s %12s %12s\n" "$s" "$rps" "$(col "$s" 2)" "$(col "$s" 3)" \
    "$(col "$s" 4)" "$(col "$s" 5)" \
    "$(awk -v a="$rps" -v b="$base_redis" 'BEGIN {printf "%.1f%%", 100 * a / b}')" \
    "$(awk -v a="$rps" -v b="$base_pg" 'BEGIN {printf "%.1f%%", 100 * a / b}')"
done
echo "invalidation delay (A's 201 to B's latest): $delay"
