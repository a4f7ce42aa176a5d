#!/usr/bin/env bash
# bench/postgres.sh: the load benchmark of SPOKE_STORAGE_TYPE=postgres (PostgreSQL metadata, S3
# file bytes). Starts PostgreSQL 15 (primary + streaming standby) and S3 with the project's
# harness, seeds a pinned spoke-server, drives the read and push workloads of bench/run.sh plus the
# reads that go to PostgreSQL on every request, runs `pgbench -S` against the same servers in the
# same rounds, counts PostgreSQL transactions per request, and prints a table of medians.
# Prints numbers only: nothing here passes or fails on timing. See bench/README.md.
#
# Settings (environment): BENCH_DURATION (10s), BENCH_REPEATS (3), BENCH_CONNECTIONS (64),
# BENCH_MODULES (300), BENCH_VERSIONS (5), BENCH_PG_CONNS (20: spoke's pool and pgbench -c),
# BENCH_PGBENCH_SCALE (10), BENCH_COUNT_REQUESTS (2000), BENCH_COUNT_PUSHES (200),
# BENCH_STATS_SETTLE (11 seconds), PG_BIN, BENCH_KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DURATION=${BENCH_DURATION:-10s}
REPEATS=${BENCH_REPEATS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
MODULES=${BENCH_MODULES:-300}
VERSIONS=${BENCH_VERSIONS:-5}
# spoke's SPOKE_POSTGRES_MAX_CONNS (its default) and pgbench's -c: the same number of sessions.
PG_CONNS=${BENCH_PG_CONNS:-20}
PGBENCH_SCALE=${BENCH_PGBENCH_SCALE:-10}
COUNT_REQUESTS=${BENCH_COUNT_REQUESTS:-2000}
COUNT_PUSHES=${BENCH_COUNT_PUSHES:-200}
# A PostgreSQL 15 backend publishes its statistics at most once a second while busy, and at the
# latest 10 s after it went idle: counters are read only after that.
SETTLE=${BENCH_STATS_SETTLE:-11}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGBENCH=$PG_BIN/pgbench
PY=/usr/bin/python3 # Debian's python with python3-requests; a pyenv python may shadow it on PATH
HOST=127.0.0.1
dur_s=${DURATION%s}
wrk_timeout=$((dur_s + 30))
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# ---------------------------------------------------------------- outside: build, then services
# The harness's `run` keeps PostgreSQL and S3 its own children, tears them down whatever happens,
# and runs this script again inside with PG_* and S3_* exported.
if [ "${BENCH_PG_INNER:-}" != 1 ]; then
  for tool in wrk taskset curl pgrep psql node "$PGBENCH" "$PY"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
  done
  if [ "$(nproc)" -lt 2 ]; then
    echo "bench: needs 2 CPUs (server on CPU0, wrk and pgbench on CPU1)" >&2
    exit 1
  fi
  build_server
  export SPOKE_SERVER_BIN=$BIN BENCH_PG_INNER=1
  exec "$root/tests/harness/services.sh" run --with-standby --with-s3 -- "$here/postgres.sh"
fi

for v in PGPORT PG_PRIMARY_URL PG_STANDBY_PORT PG_STANDBY_URL SERVICES_DIR S3_ENDPOINT S3_BUCKET \
  S3_ACCESS_KEY S3_SECRET_KEY S3_REGION; do
  [ -n "${!v:-}" ] || { echo "bench: $v not set: run bench/postgres.sh itself" >&2; exit 1; }
done

work=$(mktemp -d /tmp/spoke-bench-pg.XXXXXX)
mkdir -p "$work/results"
started_pids=()
trap cleanup EXIT
trap 'exit 130' INT TERM
build_server # takes SPOKE_SERVER_BIN from the outside part
t_start=$SECONDS

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $("$PG_BIN/postgres" --version), primary :$PGPORT, streaming standby :$PG_STANDBY_PORT" \
  "(services.sh: fsync=off, shared_buffers=32MB, unpinned); S3: s3rver at $S3_ENDPOINT"
echo "== wrk -t1 -c$CONNS -d$DURATION --latency and pgbench -S -n -c$PG_CONNS -j1 -T$dur_s," \
  "$REPEATS runs each, medians reported"

# ---------------------------------------------------------------- PostgreSQL helpers
psql_at() { # psql_at PORT DATABASE SQL: one unaligned value
  timeout 60 psql "postgresql://postgres@$HOST:$1/$2?connect_timeout=5" -X -Atq \
    -v ON_ERROR_STOP=1 -c "$3"
}

wait_standby_replay() { # until the standby has replayed everything the primary wrote so far
  local lsn deadline=$((SECONDS + 120))
  lsn=$(psql_at "$PGPORT" postgres "SELECT pg_current_wal_lsn()")
  until [ "$(psql_at "$PG_STANDBY_PORT" postgres \
    "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]; do
    ((SECONDS < deadline)) || { echo "bench: standby did not replay up to $lsn" >&2; exit 1; }
    sleep 0.2
  done
}

# CPU of both PostgreSQL servers: each postmaster with the children it has reaped (utime, stime,
# cutime, cstime), plus its live children (backends, WAL sender/receiver, ...).
PG_PIDS="$(<"$SERVICES_DIR/pg-primary.pid") $(<"$SERVICES_DIR/pg-standby.pid")"
pg_ticks() {
  local pm pid sum=0
  for pm in $PG_PIDS; do
    sum=$((sum + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")))
    for pid in $(pgrep -P "$pm" || true); do
      # A backend may exit between pgrep and the read: its time is then in the postmaster's.
      sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
  done
  echo $sum
}
hz=$(getconf CLK_TCK)
pg_cores() { # pg_cores TICKS0 TICKS1 START END ($EPOCHREALTIME values): PostgreSQL cores used
  awk -v t="$(($2 - $1))" -v hz="$hz" -v a="$3" -v b="$4" 'BEGIN {printf "%.2f\n", t / hz / (b - a)}'
}
# A backend whose client left may still be exiting: its CPU time reaches the postmaster's only once
# it has been reaped, so run_pgbench waits for those backends to be gone (at most 5 s).
wait_pgbench_backends_gone() {
  local pm i
  for ((i = 0; i < 100; i++)); do
    for pm in $PG_PIDS; do
      pgrep -P "$pm" -f '^postgres: postgres pgbench ' >/dev/null && break
    done || return 0
    sleep 0.05
  done
}

# ---------------------------------------------------------------- databases
DB=spoke_bench
psql_at "$PGPORT" postgres "CREATE DATABASE $DB" >/dev/null
psql_at "$PGPORT" postgres "CREATE DATABASE pgbench" >/dev/null
echo "== pgbench -i -s $PGBENCH_SCALE (database pgbench on the primary; unpinned)"
t0=$EPOCHREALTIME
timeout 600 "$PGBENCH" -i -s "$PGBENCH_SCALE" -q -h "$HOST" -p "$PGPORT" -U postgres pgbench \
  >"$work/pgbench-init.log" 2>&1 || { tail -5 "$work/pgbench-init.log" >&2; exit 1; }
wait_standby_replay
echo "   initialised and replayed on the standby in" \
  "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s;" \
  "pgbench_accounts $(psql_at "$PGPORT" pgbench \
    "SELECT pg_size_pretty(pg_total_relation_size('pgbench_accounts'))")"

SERVER_ENV=(
  SPOKE_STORAGE_TYPE=postgres
  SPOKE_POSTGRES_URL="${PG_PRIMARY_URL%/*}/$DB"
  SPOKE_POSTGRES_REPLICA_URLS="${PG_STANDBY_URL%/*}/$DB"
  SPOKE_POSTGRES_MAX_CONNS="$PG_CONNS"
  SPOKE_S3_ENDPOINT="$S3_ENDPOINT" SPOKE_S3_BUCKET="$S3_BUCKET" SPOKE_S3_REGION="$S3_REGION"
  SPOKE_S3_ACCESS_KEY="$S3_ACCESS_KEY" SPOKE_S3_SECRET_KEY="$S3_SECRET_KEY"
  SPOKE_S3_USE_PATH_STYLE=true
)

# ---------------------------------------------------------------- statements per request
pg_xacts() { psql_at "$1" postgres "SELECT sum(xact_commit) FROM pg_stat_database"; }
# count_window NAME CMD...: committed transactions on the primary and on the standby around CMD
# (which prints fixed_requests.py's JSON line), read once every backend has published its
# statistics. Appends "NAME REQUESTS SECONDS PRIMARY STANDBY" to $work/statements.
count_window() {
  local name=$1 p0 s0 p1 s1 t0 out n
  shift
  p0=$(pg_xacts "$PGPORT")
  s0=$(pg_xacts "$PG_STANDBY_PORT")
  t0=$EPOCHREALTIME
  out=$("$@")
  n=$(echo "$out" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
  sleep "$SETTLE"
  p1=$(pg_xacts "$PGPORT")
  s1=$(pg_xacts "$PG_STANDBY_PORT")
  echo "$name $n $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')" \
    "$((p1 - p0)) $((s1 - s0))" | tee -a "$work/statements" |
    awk '{printf "   %-16s %5d requests in %6.2f s: %6d transactions on the primary, %6d on the standby\n", $1, $2, $3, $4, $5}'
}
# The same window with no requests: the counter reads themselves, spoke's replica lag probe (every
# 500 ms per replica per loop) and PostgreSQL's own background work (autovacuum). The probe touches
# no table, and PostgreSQL 15 publishes a session's commit count only along with table statistics,
# so in practice the probe adds nothing here; the idle windows show what remains.
idle_requests() {
  sleep 2
  echo '{"requests": 0}'
}
fixed_get() { # fixed_get PATHS_FILE COUNT
  taskset -c 1 timeout 600 "$PY" "$here/fixed_requests.py" "$BASE" get "$1" "$2"
}

# ---------------------------------------------------------------- seed
echo "== seeding $MODULES modules x $VERSIONS versions (spoke-server pinned to CPU0, seed.py on" \
  "CPU1, 16 client threads)"
start_server spoke-seed 1 reuseport 0
BASE=http://$HOST:$API_PORT
make_token "$work/token" # in the database: the restarted server below takes it too
seed_json=$(taskset -c 1 timeout 1200 "$PY" "$here/seed.py" "$BASE" "$work" --modules "$MODULES" \
  --versions "$VERSIONS" --token-file "$work/token")
echo "   $seed_json"
stop_pid "$SERVER_PID"
wait_standby_replay
echo "   database $DB: $(psql_at "$PGPORT" "$DB" "SELECT pg_size_pretty(pg_database_size('$DB'))")," \
  "S3 bucket dir $(du -sh "$SERVICES_DIR/s3" | cut -f1)"

# ---------------------------------------------------------------- pinned server, cold caches
echo "== pinned: spoke-server SPOKE_THREADS=1 on CPU0 (restarted: empty caches), wrk, pgbench" \
  "and fixed_requests.py on CPU1"
start_server spoke-pinned 1 reuseport 0
PINNED_PID=$SERVER_PID
BASE=http://$HOST:$API_PORT
n_versions=$(wc -l <"$work/version_paths.txt")
cold_count=$((n_versions < COUNT_REQUESTS ? n_versions : COUNT_REQUESTS))
echo "== PostgreSQL transactions per request (one request at a time; counters read ${SETTLE} s after)"
sleep "$SETTLE" # the start-up's connections and readiness checks publish their counts first
count_window idle-1 idle_requests
count_window cold-version fixed_get "$work/version_paths.txt" "$cold_count"

hot_path=/modules/bench0000/versions/1.$((VERSIONS - 1)).0
hot_bytes=$(curl -sf "$BASE$hot_path" | wc -c)
echo "   hot version $hot_path: $hot_bytes body bytes"

# ---------------------------------------------------------------- wrk and pgbench rounds
# run_spoke SCENARIO URL [LUA [ARGS...]]: run_wrk against the pinned server, plus PostgreSQL's CPU.
run_spoke() {
  local scenario=$1 t0 w0
  t0=$(pg_ticks)
  w0=$EPOCHREALTIME
  run_wrk "$scenario" 1 "$PINNED_PID" "${@:2}"
  pg_cores "$t0" "$(pg_ticks)" "$w0" "$EPOCHREALTIME" >>"$work/results/$scenario.pg"
}
# run_pgbench SCENARIO PORT: pgbench -S pinned to CPU1, the same number of sessions as spoke's pool.
# Results line as run_wrk's: tps, p50/p99 unknown ("-"), failures, spoke's CPU (none: "-").
run_pgbench() {
  local scenario=$1 port=$2 t0 w0 w1 out tps lat failed
  t0=$(pg_ticks)
  w0=$EPOCHREALTIME
  out=$(taskset -c 1 timeout "$wrk_timeout" "$PGBENCH" -S -n -c "$PG_CONNS" -j 1 -T "$dur_s" \
    -h "$HOST" -p "$port" -U postgres pgbench 2>&1) || {
    echo "bench: pgbench failed: $out" >&2
    exit 1
  }
  w1=$EPOCHREALTIME
  wait_pgbench_backends_gone
  pg_cores "$t0" "$(pg_ticks)" "$w0" "$w1" >>"$work/results/$scenario.pg"
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
  lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
  failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
  [ -n "$tps" ] || { echo "bench: no tps from pgbench: $out" >&2; exit 1; }
  printf "%.0f - - %d - -\n" "$tps" "${failed:-0}" >>"$work/results/$scenario"
  echo "$lat" >>"$work/results/$scenario.lat"
  printf "   %-22s %9.0f tps    latency average %s ms  failed %s  PostgreSQL %s cores\n" \
    "$scenario" "$tps" "$lat" "${failed:-0}" "$(tail -1 "$work/results/$scenario.pg")"
}

echo "== warm-up (2 s each, not recorded)"
warm 1 "$BASE$hot_path"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/version_paths.txt"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/file_paths.txt"
warm 1 "$BASE/modules?limit=100"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/latest_paths.txt"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/module_paths.txt"
taskset -c 1 timeout 30 "$PGBENCH" -S -n -c "$PG_CONNS" -j 1 -T 2 -h "$HOST" -p "$PGPORT" \
  -U postgres pgbench >/dev/null 2>&1
taskset -c 1 timeout 30 "$PGBENCH" -S -n -c "$PG_CONNS" -j 1 -T 2 -h "$HOST" \
  -p "$PG_STANDBY_PORT" -U postgres pgbench >/dev/null 2>&1

# Runs interleave scenarios so slow drift from other load on the box hits all of them alike.
for ((rep = 1; rep <= REPEATS; rep++)); do
  echo "== run $rep/$REPEATS"
  run_spoke hot-version "$BASE$hot_path"
  run_spoke many-versions "$BASE/" "$here/lua/paths.lua" "$work/version_paths.txt"
  run_spoke files "$BASE/" "$here/lua/paths.lua" "$work/file_paths.txt"
  run_spoke list-modules "$BASE/modules?limit=100"
  run_spoke latest-version "$BASE/" "$here/lua/paths.lua" "$work/latest_paths.txt"
  run_spoke module-get "$BASE/" "$here/lua/paths.lua" "$work/module_paths.txt"
  run_pgbench pgbench-S "$PGPORT"
  run_pgbench pgbench-S-standby "$PG_STANDBY_PORT"
done
conns_standby=$(psql_at "$PG_STANDBY_PORT" postgres \
  "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB'")
conns_primary=$(psql_at "$PGPORT" postgres \
  "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB'")
echo "   spoke's open PostgreSQL sessions after the reads: $conns_standby on the standby" \
  "(incl. the lag probe's), $conns_primary on the primary"
rss_reads=$(mem_kib "$PINNED_PID" VmHWM)

echo "== PostgreSQL transactions per request (one request at a time; counters read ${SETTLE} s after)"
sleep "$SETTLE" # the pool's sessions publish the last second of the wrk runs first
count_window idle-2 idle_requests
count_window many-versions fixed_get "$work/version_paths.txt" "$COUNT_REQUESTS"
count_window latest-version fixed_get "$work/latest_paths.txt" "$COUNT_REQUESTS"
count_window module-get fixed_get "$work/module_paths.txt" "$COUNT_REQUESTS"
echo "/modules?limit=100" >"$work/list_paths.txt"
count_window list-modules fixed_get "$work/list_paths.txt" "$COUNT_REQUESTS"
count_window push taskset -c 1 timeout 600 "$PY" "$here/fixed_requests.py" "$BASE" push \
  "$work/push_body.json" "$work/push_modules.txt" 0 "$COUNT_PUSHES" "$work/token"

# Pushes change the data, so they run after the reads; the run number keeps versions unique.
echo "== pushes"
for ((rep = 1; rep <= REPEATS; rep++)); do
  run_spoke push "$BASE/" "$here/lua/push.lua" "$work/push_body.json" "$work/push_modules.txt" \
    "$rep" "$work/token"
  t0=$(pg_ticks)
  w0=$EPOCHREALTIME
  run_push_clients push-16-clients "$PINNED_PID" "$BASE" "$rep"
  pg_cores "$t0" "$(pg_ticks)" "$w0" "$EPOCHREALTIME" >>"$work/results/push-16-clients.pg"
done
rss_after=$(mem_kib "$PINNED_PID" VmHWM)
stop_pid "$PINNED_PID"

# ---------------------------------------------------------------- tables
echo
echo "== results: medians of $REPEATS runs, wrk -t1 -c$CONNS -d$DURATION, pgbench -S -n" \
  "-c$PG_CONNS -j1 -T$dur_s; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   spoke CPU: the pinned server (CPU0); PG CPU: primary + standby, all processes (unpinned)"
echo "   vs pgbench -S: req/s against pgbench -S tps on the primary (same rounds)"
base_tps=$(col pgbench-S 1)
printf "%-22s %9s %8s %8s %7s %9s %7s %14s\n" scenario "req/s" "p50 ms" "p99 ms" errors \
  "spoke CPU" "PG CPU" "vs pgbench -S"
for s in hot-version many-versions files list-modules latest-version module-get push \
  push-16-clients pgbench-S pgbench-S-standby; do
  [ -f "$work/results/$s" ] || continue
  rps=$(col "$s" 1)
  pg=$(awk '{print $1}' "$work/results/$s.pg" | median)
  ratio=$(awk -v a="$rps" -v b="$base_tps" 'BEGIN {printf "%.1f%%", 100 * a / b}')
  case $s in push*) ratio=- ;; esac # a write against a read-only transaction: no ratio
  printf "%-22s %9s %8s %8s %7s %9s %7s %14s\n" "$s" "$rps" "$(col "$s" 2)" "$(col "$s" 3)" \
    "$(col "$s" 4)" "$(col "$s" 5)" "$pg" "$ratio"
done
for s in pgbench-S pgbench-S-standby; do
  echo "$s latency average (median of runs): $(median <"$work/results/$s.lat") ms"
done
echo "per run, req/s or tps:"
for s in latest-version module-get list-modules pgbench-S pgbench-S-standby; do
  echo "   $s: $(awk '{print $1}' "$work/results/$s" | paste -sd' ')"
done

echo
echo "== PostgreSQL transactions per request (each spoke statement is one autocommit transaction)"
echo "   idle windows subtracted at their rate per second; one request at a time"
printf "%-16s %8s %9s %11s %11s %9s %9s %9s\n" scenario requests seconds "primary tx" \
  "standby tx" "primary/r" "standby/r" "total/r"
awk '
  $1 ~ /^idle/ { rate_p = $4 / $3; rate_s = $5 / $3; printf "%-16s %8d %9.2f %11d %11d   (%.2f/s primary, %.2f/s standby)\n", $1, $2, $3, $4, $5, rate_p, rate_s; next }
  {
    p = ($4 - rate_p * $3) / $2; s = ($5 - rate_s * $3) / $2
    printf "%-16s %8d %9.2f %11d %11d %9.3f %9.3f %9.3f\n", $1, $2, $3, $4, $5, p, s, p + s
  }' "$work/statements"

echo
echo "seeding: $seed_json"
echo "peak RSS (VmHWM) of the pinned server: $((rss_reads / 1024)) MiB after the read runs," \
  "$((rss_after / 1024)) MiB after the push runs"
echo "whole run: $((SECONDS - t_start)) s after the services were up;" \
  "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
