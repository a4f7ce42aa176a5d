#!/usr/bin/env bash
# bench/run.sh: builds (or takes $SPOKE_SERVER_BIN) a release spoke-server, seeds it, drives it with
# wrk on loopback next to an nginx static-file baseline, and prints a table of medians.
# Prints numbers only: nothing here passes or fails on timing. See bench/README.md.
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

stop_pid() { # stop_pid PID: SIGTERM, wait up to 20 s, then SIGKILL; always reaped (we are the parent)
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    # An exited child is a zombie until waited for: state Z counts as stopped.
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)" = Z ] && break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # free_port [TAKEN...]: a loopback port below the ephemeral range (32768+), free now
  "$PY" - "$@" <<'PYEOF'
import random, socket, sys
taken = set(int(p) for p in sys.argv[1:])
for _ in range(500):
    p = random.randint(20000, 32000)
    if p in taken:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    sys.exit("no free port")
PYEOF
}

wait_http() { # wait_http URL PID SECONDS: until URL answers 200, the process dies, or time is up
  local url=$1 pid=$2 deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)" = Z ] && return 1
    [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$url" || true)" = 200 ] && return 0
    sleep 0.05
  done
  return 1
}

cpu_ticks() { # cpu_ticks "PID [PID...]": utime + stime of all their threads
  local pid sum=0
  for pid in $1; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo $sum
}
mem_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# ---------------------------------------------------------------- build
if [ -n "${SPOKE_SERVER_BIN:-}" ]; then
  BIN=$SPOKE_SERVER_BIN
else
  echo "== building release spoke-server in $root/build-bench"
  cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSPOKE_BUILD_TESTS=OFF >/dev/null
  ninja -C "$root/build-bench" spoke-server >/dev/null
  BIN=$root/build-bench/spoke-server
fi
[ -x "$BIN" ] || { echo "bench: no server binary at $BIN" >&2; exit 1; }
# The second baseline: bare evhttp serving the same bytes, the ceiling of anything built on it.
EVHTTP_BIN=$work/evhttp_static
g++ -O2 -std=c++20 -o "$EVHTTP_BIN" "$here/baseline/evhttp_static.cpp" -levent

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== wrk -t1 -c$CONNS -d$DURATION --latency, $REPEATS runs each, medians reported"

# ---------------------------------------------------------------- processes under test
data=$work/data
SERVER_PID=
API_PORT=
start_server() { # start_server NAME THREADS LISTENER CPUSET ("" = unpinned)
  local name=$1 threads=$2 listener=$3 cpus=$4 hport
  API_PORT=$(free_port)
  hport=$(free_port "$API_PORT")
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  # Only the SPOKE_* settings named here: nothing from the caller's environment leaks in.
  "${pin[@]}" env $(env | sed -n 's/^\(SPOKE_[A-Z_]*\)=.*/-u \1/p') \
    SPOKE_HOST=$HOST SPOKE_PORT="$API_PORT" SPOKE_HEALTH_PORT="$hport" \
    SPOKE_FILESYSTEM_ROOT="$data" SPOKE_THREADS="$threads" SPOKE_LISTENER="$listener" \
    SPOKE_LOG_LEVEL=warn "$BIN" >"$work/$name.log" 2>&1 &
  SERVER_PID=$!
  started_pids+=("$SERVER_PID")
  if ! wait_http "http://$HOST:$hport/health/ready" "$SERVER_PID" 60; then
    echo "bench: $name did not become ready; log:" >&2
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
}

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

# ---------------------------------------------------------------- wrk
# run_wrk SCENARIO WRK_CPUS "SERVER_PIDS" URL [LUA [ARGS...]]: one measured run into results/.
run_wrk() {
  local scenario=$1 cpus=$2 pids=$3 url=$4 lua=${5:-$here/lua/report.lua}
  shift 4
  [ $# -gt 0 ] && shift
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  local t0 t1 out
  t0=$(cpu_ticks "$pids")
  out=$("${pin[@]}" timeout "$wrk_timeout" wrk -t1 -c"$CONNS" -d"$DURATION" --latency \
    -s "$lua" "$url" -- "$@" | grep '^WRK_RESULT' || true)
  t1=$(cpu_ticks "$pids")
  [ -n "$out" ] || { echo "bench: wrk gave no result for $scenario" >&2; exit 1; }
  # name=value pairs into one line: rps p50_ms p99_ms errors server_cores rps_per_core
  echo "$out" | tr ' ' '\n' | awk -F= -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    NF == 2 { v[$1] = $2 }
    END {
      secs = v["duration_us"] / 1e6
      errs = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_status"] + v["err_timeout"]
      cores = ticks / hz / secs
      printf "%.0f %.3f %.3f %d %.2f %.0f\n", v["requests"] / secs, v["p50_us"] / 1000,
        v["p99_us"] / 1000, errs, cores, (cores > 0 ? v["requests"] / secs / cores : 0)
    }' >>"$work/results/$scenario"
  tail -1 "$work/results/$scenario" | awk -v s="$scenario" \
    '{printf "   %-22s %9s req/s  p50 %7s ms  p99 %7s ms  errors %s  server %s cores (%s req/s/core)\n", s, $1, $2, $3, $4, $5, $6}'
}

warm() { # warm WRK_CPUS URL [LUA [ARGS...]]: 2 s of traffic, not recorded (fills caches)
  local cpus=$1 url=$2 lua=${3:-$here/lua/report.lua}
  shift 2
  [ $# -gt 0 ] && shift
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  "${pin[@]}" timeout 20 wrk -t1 -c"$CONNS" -d2s -s "$lua" "$url" -- "$@" >/dev/null
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$2" '{print $c}' "$work/results/$1" | median; }

# ---------------------------------------------------------------- 1. pinned: seed, then measure
echo "== pinned: spoke-server SPOKE_THREADS=1 and nginx 1 worker on CPU0, wrk on CPU1"
start_server spoke-pinned 1 reuseport 0
PINNED_PID=$SERVER_PID
BASE=http://$HOST:$API_PORT
echo "== seeding $MODULES modules x $VERSIONS versions (seed.py on CPU1, 16 client threads)"
seed_json=$(taskset -c 1 "$PY" "$here/seed.py" "$BASE" "$work" --modules "$MODULES" \
  --versions "$VERSIONS")
echo "   $seed_json"
rss_seeded=$(mem_kib "$PINNED_PID" VmHWM)
echo "   server after seeding: VmHWM $((rss_seeded / 1024)) MiB," \
  "VmRSS $(($(mem_kib "$PINNED_PID" VmRSS) / 1024)) MiB, data dir $(du -sh "$data" | cut -f1)"

hot_path=/modules/bench0000/versions/1.$((VERSIONS - 1)).0
curl -sf -o "$work/hot.json" "$BASE$hot_path"
hot_bytes=$(stat -c %s "$work/hot.json")
echo "   hot version $hot_path: $hot_bytes body bytes"
# nginx serves the very same bytes as a static file.
mkdir -p "$ngx/html"
cp "$work/hot.json" "$ngx/html/hot.json"
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
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/version_paths.txt"
warm 1 "$BASE/" "$here/lua/paths.lua" "$work/file_paths.txt"
warm 1 "$BASE/modules?limit=100"

# Runs interleave scenarios so slow drift from other load on the box hits all of them alike.
for ((rep = 1; rep <= REPEATS; rep++)); do
  echo "== run $rep/$REPEATS"
  run_wrk nginx-static 1 "$(nginx_workers)" "$NGINX_URL"
  run_wrk evhttp-static 1 "$EVHTTP_PID" "$EVHTTP_URL"
  run_wrk hot-version 1 "$PINNED_PID" "$BASE$hot_path"
  run_wrk many-versions 1 "$PINNED_PID" "$BASE/" "$here/lua/paths.lua" "$work/version_paths.txt"
  run_wrk files 1 "$PINNED_PID" "$BASE/" "$here/lua/paths.lua" "$work/file_paths.txt"
  run_wrk list-modules 1 "$PINNED_PID" "$BASE/modules?limit=100"
done
stop_pid "$NGINX_PID"
stop_pid "$EVHTTP_PID"
rss_reads=$(mem_kib "$PINNED_PID" VmHWM)

# Pushes change the data, so they run after the reads; the run number keeps versions unique.
for ((rep = 1; rep <= REPEATS; rep++)); do
  run_wrk push 1 "$PINNED_PID" "$BASE/" "$here/lua/push.lua" "$work/push_body.json" \
    "$work/push_modules.txt" "$rep"
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
echo "   vs nginx: pinned rows against nginx-static, unpinned rows against nginx-2workers"
printf "%-22s %9s %8s %8s %7s %8s %9s %10s %9s\n" scenario "req/s" "p50 ms" "p99 ms" errors \
  "srv CPU" "vs nginx" "req/s/core" "vs nginx"
for s in nginx-static evhttp-static hot-version many-versions files list-modules push \
  nginx-2workers hot-2loops-reuseport hot-2loops-shared; do
  [ -f "$work/results/$s" ] || continue
  case $s in
    nginx-2workers | hot-2loops-*) base=nginx-2workers ;;
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
echo "hot version body: $hot_bytes bytes (nginx and the bare evhttp server serve a copy of it)"
echo "seeding: $seed_json"
echo "peak RSS (VmHWM) of the pinned server: $((rss_seeded / 1024)) MiB after seeding," \
  "$((rss_reads / 1024)) MiB after the read runs, $((rss_after / 1024)) MiB after the push runs"
