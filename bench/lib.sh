# shellcheck shell=bash
# bench/lib.sh: shell functions shared by bench/run.sh and bench/postgres.sh. Sourced, not run.
#
# The caller sets, before calling them: PY (python3), HOST (127.0.0.1), CONNS and DURATION (wrk
# -c/-d), wrk_timeout, here (bench/), root (the repository), work (its work directory, with
# results/ inside), started_pids (an array: everything in it is stopped by cleanup), and for
# start_server and make_token BIN and SERVER_ENV (an array of the storage's SPOKE_*=value settings).

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

build_server() { # sets BIN: $SPOKE_SERVER_BIN, or a Release spoke-server built in build-bench/
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
}

SERVER_PID=
API_PORT=
HEALTH_PORT=
start_server() { # start_server NAME THREADS LISTENER CPUSET ("" = unpinned)
  local name=$1 threads=$2 listener=$3 cpus=$4 hport
  API_PORT=$(free_port)
  hport=$(free_port "$API_PORT")
  HEALTH_PORT=$hport
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  # Only the SPOKE_* settings named here: nothing from the caller's environment leaks in. Load
  # comes from one address, so the default rate limit (100/s per client) is off unless a
  # scenario's SERVER_ENV sets one.
  "${pin[@]}" env $(env | sed -n 's/^\(SPOKE_[A-Z_]*\)=.*/-u \1/p') \
    SPOKE_HOST=$HOST SPOKE_PORT="$API_PORT" SPOKE_HEALTH_PORT="$hport" SPOKE_RATE_LIMIT=0 \
    "${SERVER_ENV[@]}" SPOKE_THREADS="$threads" SPOKE_LISTENER="$listener" \
    SPOKE_LOG_LEVEL="${BENCH_LOG_LEVEL:-warn}" "$BIN" >"$work/$name.log" 2>&1 &
  SERVER_PID=$!
  started_pids+=("$SERVER_PID")
  if ! wait_http "http://$HOST:$hport/health/ready" "$SERVER_PID" 60; then
    echo "bench: $name did not become ready; log:" >&2
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
}

# make_token FILE: writes (mode 0600) the secret of a new API token with the write scope, made by
# the bootstrap command `$BIN token create` on the storage of SERVER_ENV, as an operator would while
# the server runs. Pushes and module creations send it (Authorization: Bearer); reads need none.
make_token() {
  local file=$1
  if ! (
    umask 077
    env $(env | sed -n 's/^\(SPOKE_[A-Z_]*\)=.*/-u \1/p') "${SERVER_ENV[@]}" \
      "$BIN" token create --name bench --scope write >"$file" 2>"$file.log"
  ) || [ ! -s "$file" ]; then
    echo "bench: spoke-server token create failed:" >&2
    cat "$file.log" >&2
    exit 1
  fi
}

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

# run_push_clients SCENARIO "SERVER_PIDS" BASE_URL TAG: bench/push_clients.py on CPU1 (16 clients,
# each pushing 12 successive versions of its own module that imports a shared module) into
# results/, in run_wrk's columns; TAG keeps the module names of each run apart.
run_push_clients() {
  local scenario=$1 pids=$2 url=$3 tag=$4 t0 t1 out
  t0=$(cpu_ticks "$pids")
  out=$(taskset -c 1 timeout 600 "$PY" "$here/push_clients.py" "$url" --token-file "$work/token" \
    --tag "$tag") || { echo "bench: push_clients.py failed for $scenario" >&2; exit 1; }
  t1=$(cpu_ticks "$pids")
  echo "$out" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
ticks, hz = int(sys.argv[1]), int(sys.argv[2])
cores = ticks / hz / r["seconds"]
print("%.1f %.1f %.1f %d %.2f %.0f" % (r["pushes_per_s"], r["p50_ms"], r["p99_ms"], r["failures"],
      cores, r["pushes_per_s"] / cores if cores > 0 else 0))' $((t1 - t0)) "$(getconf CLK_TCK)" \
    >>"$work/results/$scenario"
  tail -1 "$work/results/$scenario" | awk -v s="$scenario" \
    '{printf "   %-22s %9s pushes/s  p50 %7s ms  p99 %7s ms  failures %s  server %s cores\n", s, $1, $2, $3, $4, $5}'
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
