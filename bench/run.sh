#!/usr/bin/env bash
# bench/run.sh: builds (or takes $SPOKE_SERVER_BIN) a release spoke-server, seeds it, drives it with
# wrk on loopback next to an nginx static-file baseline, and prints a table of medians.
# Prints numbers only: nothing here passes or fails on timing. See bench/README.md.
# Its shell functions live in bench/lib.sh (shared with bench/postgres.sh).
#
# Settings (environment): BENCH_DURATION (10s), BENCH_REPEATS (3), BENCH_CONNECTIONS (64),
# BENCH_MODULES (1000), BENCH_VERSIONS (5), BENCH_KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DURATION=${BENCH_DURATION:-10s}
REPEATS=${BENCH_REPEATS:-3}
CONNS=${BENCH_CONNECTIONS:-64}
MODULES=${BENCH_MODULES:-1000}
VERSIONS=${BENCH_VERSIONS:-5}
PY=/usr/bin/python3 # Debian's python with python3-requests; a pyenv python may shadow it on PATH
NGINX=${NGINX:-/usr/sbin/nginx}
HOST=127.0.0.1
dur_s=${DURATION%s}
wrk_timeout=$((dur_s + 30))
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

for tool in wrk taskset curl pgrep "$NGINX" "$PY"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (server on CPU0, wrk on CPU1)" >&2
  exit 1
fi

work=$(mktemp -d /tmp/spoke-bench.XXXXXX)
chmod 755 "$work" # nginx workers run as nobody when started by root: they must reach html/
mkdir -p "$work/results"
started_pids=()

trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
build_server
# The second baseline: bare evhttp serving the same bytes, the ceiling of anything built on it.
EVHTTP_BIN=$work/evhttp_static
g++ -O2 -std=c++20 -o "$EVHTTP_BIN" "$here/baseline/evhttp_static.cpp" -levent

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wrk -t1 -c$CONNS -d$DURATION --latency, $REPEATS runs each, medians reported"

# ---------------------------------------------------------------- processes under test
data=$work/data
SERVER_ENV=(SPOKE_FILESYSTEM_ROOT="$data")

ngx=$work/nginx
NGINX_PID=
NGINX_URL=
start_nginx() { # start_nginx WORKERS CPUSET ("" = unpinned): serves $ngx/html, own prefix dir
  local workers=$1 cpus=$2 port dir
  port=$(free_port "$API_PORT")
  dir=$ngx/w$workers${cpus:+-cpu$cpus}
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<NGINXEOF
daemon off;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;  # like spoke: never close a busy keep-alive connection
  client_body_temp_path $dir/tmp_body;
  proxy_temp_path $dir/tmp_proxy;
  fastcgi_temp_path $dir/tmp_fastcgi;
  uwsgi_temp_path $dir/tmp_uwsgi;
  scgi_temp_path $dir/tmp_scgi;
  server {
    listen $HOST:$port;
    root $ngx/html;
  }
}
NGINXEOF
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  "${pin[@]}" "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log" \
    2>"$dir/logs/stderr" &
  NGINX_PID=$!
  started_pids+=("$NGINX_PID")
  NGINX_URL=http://$HOST:$port/hot.json
  if ! wait_http "$NGINX_URL" "$NGINX_PID" 20; then
    echo "bench: nginx did not start" >&2
    tail -5 "$dir/logs/stderr" "$dir/logs/error.log" >&2
    exit 1
  fi
  [ "$(curl -s "$NGINX_URL" | wc -c)" = "$hot_bytes" ] || {
    echo "bench: nginx body size differs" >&2
    exit 1
  }
}
# nginx's master idles; its workers (children, same CPU pin) do the work and are what we charge.
nginx_workers() { pgrep -P "$NGINX_PID" | tr '\n' ' '; }

# ---------------------------------------------------------------- 1. pinned: seed, then measure
echo "== pinned: spoke-server SPOKE_THREADS=1 and nginx 1 worker on CPU0, wrk on CPU1"
start_server spoke-pinned 1 reuseport 0
PINNED_PID=$SERVER_PID
BASE=http://$HOST:$API_PORT
make_token "$work/token" # writes need one; reads stay anonymous
echo "== seeding $MODULES modules x $VERSIONS versions (seed.py on CPU1, 16 client threads)"
seed_json=$(taskset -c 1 "$PY" "$here/seed.py" "$BASE" "$work" --modules "$MODULES" \
  --versions "$VERSIONS" --token-file "$work/token")
echo "   $seed_json"
rss_seeded=$(mem_kib "$PINNED_PID" VmHWM)
echo "   server after seeding: VmHWM $((rss_seeded / 1024)) MiB," \
  "VmRSS $(($(mem_kib "$PINNED_PID" VmRSS) / 1024)) MiB, data dir $(du -sh "$data" | cut -f1)"

hot_path=/modules/bench0000/versions/1.$((VERSIONS - 1)).0
curl -sf -o "$work/hot.json" "$BASE$hot_path"
hot_bytes=$(stat -c %s "$work/hot.json")
echo "   hot version $hot_path: $hot_bytes body bytes"
# A large body: the hot version's descriptor set with source info (the well-known types' too).
large_path=$hot_path/descriptor?source_info=true
curl -sf -o "$work/large.bin" "$BASE$large_path"
large_bytes=$(stat -c %s "$work/large.bin")
echo "   large body $large_path: $large_bytes bytes"
# nginx serves the very same bytes as static files.
mkdir -p "$ngx/html"
cp "$work/hot.json" "$ngx/html/hot.json"
cp "$work/large.bin" "$ngx/html/large.bin"
start_nginx 1 0
EVHTTP_PORT=$(free_port "$API_PORT")
taskset -c 0 "$EVHTTP_BIN" "$EVHTTP_PORT" "$work/hot.json" >"$work/evhttp.log" 2>&1 &
EVHTTP_PID=$!
started_pids+=("$EVHTTP_PID")
EVHTTP_URL="http://$HOST:$EVHTTP_PORT/hot.json"
wait_http "$EVHTTP_URL" "$EVHTTP_PID" 10 || { echo "bench: evhttp baseline did not start" >&2; exit 1; }

echo "== warm-up (2 s each, not recorded)"
warm 1 "$NGINX_URL"
warm 1 "$EVHTTP_URL"
warm 1 "$BASE$hot_path"
warm 1 "$BASE$large_path"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/version_paths.txt"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/file_paths.txt"
warm 1 "$BASE/modules?limit=100"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/latest_paths.txt"

# Runs interleave scenarios so slow drift from other load on the box hits all of them alike.
for ((rep = 1; rep <= REPEATS; rep++)); do
  echo "== run $rep/$REPEATS"
  run_wrk nginx-static 1 "$(nginx_workers)" "$NGINX_URL"
  run_wrk evhttp-static 1 "$EVHTTP_PID" "$EVHTTP_URL"
  run_wrk hot-version 1 "$PINNED_PID" "$BASE$hot_path"
  run_wrk nginx-large 1 "$(nginx_workers)" "${NGINX_URL%/hot.json}/large.bin"
  run_wrk descriptor-large 1 "$PINNED_PID" "$BASE$large_path"
  run_wrk many-versions 1 "$PINNED_PID" "$BASE/" "$here/lua/paths.lua" "$work/version_paths.txt"
  run_wrk files 1 "$PINNED_PID" "$BASE/" "$here/lua/paths.lua" "$work/file_paths.txt"
  run_wrk list-modules 1 "$PINNED_PID" "$BASE/modules?limit=100"
  run_wrk latest-version 1 "$PINNED_PID" "$BASE/" "$here/lua/paths.lua" "$work/latest_paths.txt"
done
stop_pid "$NGINX_PID"
stop_pid "$EVHTTP_PID"
rss_reads=$(mem_kib "$PINNED_PID" VmHWM)

# Pushes change the data, so they run after the reads; the run number keeps versions unique.
for ((rep = 1; rep <= REPEATS; rep++)); do
  run_wrk push 1 "$PINNED_PID" "$BASE/" "$here/lua/push.lua" "$work/push_body.json" \
    "$work/push_modules.txt" "$rep" "$work/token"
  run_push_clients push-16-clients "$PINNED_PID" "$BASE" "$rep"
done
rss_after=$(mem_kib "$PINNED_PID" VmHWM)
echo "   server after all runs: VmHWM $((rss_after / 1024)) MiB" \
  "(after the reads: $((rss_reads / 1024)) MiB), VmRSS $(($(mem_kib "$PINNED_PID" VmRSS) / 1024)) MiB," \
  "data dir $(du -sh "$data" | cut -f1)"
stop_pid "$PINNED_PID"

# ---------------------------------------------------------------- 2. unpinned, two loops
# Server and wrk share both cores; the baseline is nginx with 2 workers, also unpinned.
echo "== unpinned: nginx 2 workers, wrk unpinned"
start_nginx 2 ""
warm "" "$NGINX_URL"
for ((rep = 1; rep <= REPEATS; rep++)); do
  run_wrk nginx-2workers "" "$(nginx_workers)" "$NGINX_URL"
done
stop_pid "$NGINX_PID"
for listener in reuseport shared; do
  echo "== unpinned: spoke-server SPOKE_THREADS=2 SPOKE_LISTENER=$listener, wrk unpinned"
  start_server "spoke-$listener" 2 "$listener" ""
  warm "" "http://$HOST:$API_PORT$hot_path"
  for ((rep = 1; rep <= REPEATS; rep++)); do
    run_wrk "hot-2loops-$listener" "" "$SERVER_PID" "http://$HOST:$API_PORT$hot_path"
  done
  echo "   VmHWM $(($(mem_kib "$SERVER_PID" VmHWM) / 1024)) MiB"
  stop_pid "$SERVER_PID"
done

# ---------------------------------------------------------------- table
echo
echo "== results: medians of $REPEATS runs, wrk -t1 -c$CONNS -d$DURATION;" \
  "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   vs nginx: pinned rows against nginx-static (the large rows against nginx-large, the same" \
  "bytes), unpinned rows against nginx-2workers"
printf "%-22s %9s %8s %8s %7s %8s %9s %10s %9s\n" scenario "req/s" "p50 ms" "p99 ms" errors \
  "srv CPU" "vs nginx" "req/s/core" "vs nginx"
for s in nginx-static evhttp-static hot-version nginx-large descriptor-large many-versions files \
  list-modules latest-version push push-16-clients \
  nginx-2workers hot-2loops-reuseport hot-2loops-shared; do
  [ -f "$work/results/$s" ] || continue
  case $s in
    nginx-2workers | hot-2loops-*) base=nginx-2workers ;;
    nginx-large | descriptor-large) base=nginx-large ;;
    *) base=nginx-static ;;
  esac
  rps=$(col "$s" 1)
  per_core=$(col "$s" 6)
  printf "%-22s %9s %8s %8s %7s %8s %8.1f%% %10s %8.1f%%\n" "$s" "$rps" "$(col "$s" 2)" \
    "$(col "$s" 3)" "$(col "$s" 4)" "$(col "$s" 5)" \
    "$(awk -v a="$rps" -v b="$(col "$base" 1)" 'BEGIN {print 100 * a / b}')" "$per_core" \
    "$(awk -v a="$per_core" -v b="$(col "$base" 6)" 'BEGIN {print (b > 0 ? 100 * a / b : 0)}')"
done
echo
echo "hot version body: $hot_bytes bytes (nginx and the bare evhttp server serve a copy of it);" \
  "large body: $large_bytes bytes (nginx serves a copy)"
echo "seeding: $seed_json"
echo "peak RSS (VmHWM) of the pinned server: $((rss_seeded / 1024)) MiB after seeding," \
  "$((rss_reads / 1024)) MiB after the read runs, $((rss_after / 1024)) MiB after the push runs"
