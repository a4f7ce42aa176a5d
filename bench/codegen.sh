#!/usr/bin/env bash
# bench/codegen.sh: issue 4's code generation benchmark. Prints numbers only: nothing here passes
# or fails on timing. Results and their reading: docs/benchmarks.md, "Code generation (issue 4)".
#
# Usage:
#   bench/codegen.sh                                  # builds build-cgbench/ (Release), ~3 min
#   SPOKE_BUILD_DIR=/path/to/build bench/codegen.sh   # build (or reuse) there instead
#   BENCH_REPEATS=3 BENCH_DURATION=3s BENCH_DOWNLOAD_REPEATS=1 bench/codegen.sh   # quick (~1 min)
#
# Settings (environment): BENCH_REPEATS (5: in-process and protoc runs), BENCH_DOWNLOAD_REPEATS (3),
# BENCH_DURATION (10s per wrk run), BENCH_CONNECTIONS (16), BENCH_KEEP=1 keeps the work directory.
# SPOKE_BUILD_DIR must be a Release build with -DSPOKE_BUILD_TESTS=ON (spoke-codegen-bench lives
# in that block of CMakeLists.txt); the script configures it so when it has no CMakeCache.txt.
#
# Needs 2 CPUs, protoc (Debian's protobuf-compiler, the same 3.21 as the libprotoc spoke links),
# wrk, taskset, curl, and /usr/bin/python3 with python3-requests. Shell functions (process
# control, free ports, medians) come from bench/lib.sh. Everything it starts is its child and is
# stopped by an EXIT trap; the work directory (/tmp/spoke-codegen.*) and protoc's output
# directory (/dev/shm/spoke-codegen.*) are removed.
#
# What it does:
#   1. bench/codegen_module.py writes the 50-file module (7 packages, 197 top-level messages,
#      nested types, enums, maps, oneofs, 16 services with streaming methods, imports between
#      the files and of well-known types): the same bytes on every run.
#   2. In-process (pinned to CPU0): spoke-codegen-bench (bench/codegen_bench.cpp) runs, per
#      repeat, compile_schema (parse + link) and GeneratorRunner::generate for cpp, python, java,
#      then the zip and tar.gz the server would store. One warm-up run, not counted.
#   3. protoc (pinned to CPU0): `protoc --cpp_out --python_out --pyi_out --java_out` on the same
#      files into tmpfs, wall time per run (a fresh output directory each time), one warm-up run;
#      also `protoc --descriptor_set_out=/dev/null` (parse + link only). Ratios protoc/in-process,
#      with and without spoke's compile. Then a check that both produce the same files (the
#      in-process run with source info, as protoc has it, written out and compared with diff;
#      see the comment at the check for why it compares with protoc --descriptor_set_in).
#   4. Downloads: a Release spoke-server (filesystem storage, SPOKE_THREADS=1, pinned to CPU0),
#      the module pushed as one version, each language downloaded once (generated and stored),
#      then `wrk -t1 -cBENCH_CONNECTIONS` pinned to CPU1 on the cpp and the python zip download
#      URL, runs interleaved; req/s, MB/s (10^6 bytes, wrk's byte count with headers), server
#      CPU. spoke_codegen_jobs_total before and after shows where each request was served from.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
REPEATS=${BENCH_REPEATS:-5}
DL_REPEATS=${BENCH_DOWNLOAD_REPEATS:-3}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-16}
BUILD=${SPOKE_BUILD_DIR:-$root/build-cgbench}
PY=/usr/bin/python3 # Debian's python with python3-requests; a pyenv python may shadow it on PATH
PROTOC=${PROTOC:-protoc}
HOST=127.0.0.1
MODULE=cgbench
dur_s=${DURATION%s}
wrk_timeout=$((dur_s + 30))
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

for tool in "$PROTOC" wrk taskset curl "$PY"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (generators and server on CPU0, wrk on CPU1)" >&2
  exit 1
fi

work=$(mktemp -d /tmp/spoke-codegen.XXXXXX)
shm=$(mktemp -d /dev/shm/spoke-codegen.XXXXXX)
mkdir -p "$work/results"
started_pids=()
cleanup_all() {
  cleanup
  rm -rf "$shm"
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  echo "== configuring $BUILD (Release, tests on)"
  cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSPOKE_BUILD_TESTS=ON \
    >/dev/null
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt" ||
  { echo "bench: $BUILD is not a Release build" >&2; exit 1; }
echo "== building spoke-server and spoke-codegen-bench in $BUILD"
ninja -C "$BUILD" -j2 spoke-server spoke-codegen-bench >/dev/null
BIN=$BUILD/spoke-server
GEN_BENCH=$BUILD/spoke-codegen-bench

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $("$PROTOC" --version) ($(command -v "$PROTOC")), wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"

# ---------------------------------------------------------------- 1. the module
mod=$work/module
echo "== module: $("$PY" "$here/codegen_module.py" "$mod")"
mapfile -t protos < <(cd "$mod" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)

# ---------------------------------------------------------------- 2. in-process
echo "== in-process (spoke-codegen-bench on CPU0): $REPEATS runs after one warm-up"
taskset -c 0 "$GEN_BENCH" "$mod" "$REPEATS" | tee "$work/inprocess.txt" | sed 's/^/   /'
inproc_gen=$(awk '$1 == "median_generate_ms" {print $2}' "$work/inprocess.txt")
inproc_all=$(awk '$1 == "median_generate_ms" {print $4}' "$work/inprocess.txt")
inproc_compile=$(awk '$1 == "median" {print $3}' "$work/inprocess.txt")
inproc_archive=$(awk '$1 == "median" {print $NF}' "$work/inprocess.txt")

# ---------------------------------------------------------------- 3. protoc
us_now() { echo $(($(date +%s%N) / 1000)); }
protoc_run() { # protoc_run OUT_DIR: one timed run, prints milliseconds
  local out=$1 t0 t1
  rm -rf "$out"
  mkdir -p "$out"
  t0=$(us_now)
  (cd "$mod" && taskset -c 0 "$PROTOC" -I. --cpp_out="$out" --python_out="$out" \
    --pyi_out="$out" --java_out="$out" "${protos[@]}" 2>>"$work/protoc.stderr")
  t1=$(us_now)
  awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f\n", d / 1000}'
}
protoc_parse_run() { # the descriptor set only: protoc's parse + link
  local t0 t1
  t0=$(us_now)
  (cd "$mod" && taskset -c 0 "$PROTOC" -I. --descriptor_set_out=/dev/null "${protos[@]}" \
    2>>"$work/protoc.stderr")
  t1=$(us_now)
  awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f\n", d / 1000}'
}
echo "== protoc (CPU0, output to tmpfs): $REPEATS runs after one warm-up"
echo "   warmup protoc_ms $(protoc_run "$shm/protoc")"
for ((rep = 1; rep <= REPEATS; rep++)); do
  ms=$(protoc_run "$shm/protoc")
  echo "$ms" >>"$work/results/protoc"
  echo "   run $rep protoc_ms $ms"
done
protoc_parse_run >/dev/null
for ((rep = 1; rep <= REPEATS; rep++)); do protoc_parse_run >>"$work/results/protoc_parse"; done
echo "   parse+link only (--descriptor_set_out), runs: $(tr '\n' ' ' <"$work/results/protoc_parse")"
protoc_ms=$(median <"$work/results/protoc")
protoc_parse_ms=$(median <"$work/results/protoc_parse")
protoc_files=$(find "$shm/protoc" -type f | wc -l)
protoc_bytes=$(find "$shm/protoc" -type f -printf '%s\n' | awk '{s += $1} END {print s}')

# Same work? The in-process run with source info (protoc's generators see comments) written out.
# compile_schema's descriptor set carries json_name on every field; protoc's in-memory descriptors
# do not, so the serialized descriptors embedded in .cc/.java/_pb2.py and the field comments of
# .pb.h differ. protoc fed its own --descriptor_set_out (which carries json_name too) through
# --descriptor_set_in must then produce exactly the in-process bytes.
echo "== output check: in-process (with source info) against protoc"
taskset -c 0 "$GEN_BENCH" "$mod" 1 --source-info --write "$shm/inprocess" >"$work/check.txt"
inproc_files=$(find "$shm/inprocess" -type f | wc -l)
differing=$(diff -rq "$shm/protoc" "$shm/inprocess" 2>&1 | wc -l || true)
echo "   against protoc on the .proto files: $inproc_files and $protoc_files files," \
  "$differing differ (json_name in the embedded descriptors and the .pb.h comments)"
(cd "$mod" && "$PROTOC" -I. --include_imports --include_source_info \
  --descriptor_set_out="$shm/set.pb" "${protos[@]}" 2>>"$work/protoc.stderr")
mkdir -p "$shm/protoc-set"
"$PROTOC" --descriptor_set_in="$shm/set.pb" --cpp_out="$shm/protoc-set" \
  --python_out="$shm/protoc-set" --pyi_out="$shm/protoc-set" --java_out="$shm/protoc-set" \
  "${protos[@]}" 2>>"$work/protoc.stderr"
if diff -rq "$shm/protoc-set" "$shm/inprocess" >"$work/diff.txt" 2>&1; then
  echo "   against protoc --descriptor_set_in (its own descriptor set): identical," \
    "$inproc_files files"
else
  echo "   against protoc --descriptor_set_in: DIFFERENT, $(wc -l <"$work/diff.txt") files:"
  head -5 "$work/diff.txt" | sed 's/^/     /'
fi
inproc_si_gen=$(awk '$1 == "median_generate_ms" {print $2}' "$work/check.txt")

# ---------------------------------------------------------------- 4. downloads
data=$work/data
API_PORT=$(free_port)
HEALTH_PORT=$(free_port "$API_PORT")
BASE=http://$HOST:$API_PORT
echo "== download: spoke-server SPOKE_THREADS=1 on CPU0 (filesystem storage), wrk on CPU1"
# Only the SPOKE_* settings named here: nothing from the caller's environment leaks in.
mapfile -t unset_spoke < <(env | sed -n 's/^\(SPOKE_[A-Z_]*\)=.*/-u\n\1/p')
taskset -c 0 env "${unset_spoke[@]}" \
  SPOKE_HOST=$HOST SPOKE_PORT="$API_PORT" SPOKE_HEALTH_PORT="$HEALTH_PORT" \
  SPOKE_FILESYSTEM_ROOT="$data" SPOKE_THREADS=1 SPOKE_LOG_LEVEL=warn \
  "$BIN" >"$work/server.log" 2>&1 &
SERVER_PID=$!
started_pids+=("$SERVER_PID")
if ! wait_http "http://$HOST:$HEALTH_PORT/health/ready" "$SERVER_PID" 60; then
  echo "bench: spoke-server did not become ready; log:" >&2
  tail -20 "$work/server.log" >&2
  exit 1
fi
# The push needs a token: one with the write scope from the bootstrap command, on the same storage.
SERVER_ENV=(SPOKE_FILESYSTEM_ROOT="$data")
make_token "$work/token"
"$PY" - "$BASE" "$MODULE" "$mod" "$work/token" "${protos[@]}" <<'PYEOF'
import sys, time, requests
base, module, mod, token_file = sys.argv[1:5]
files = [{"path": p, "content": open(mod + "/" + p).read()} for p in sys.argv[5:]]
auth = {"Authorization": "Bearer " + open(token_file).read().strip()}
r = requests.post(base + "/modules", json={"name": module}, headers=auth, timeout=60)
assert r.status_code == 201, (r.status_code, r.text)
t0 = time.monotonic()
r = requests.post(base + "/modules/%s/versions" % module, json={"version": "1.0.0", "files": files},
                  headers=auth, timeout=120)
assert r.status_code == 201, (r.status_code, r.text[:500])
print("   push of %d files: %.0f ms (HTTP 201)" % (len(files), (time.monotonic() - t0) * 1000))
PYEOF
dl_url() { echo "$BASE/modules/$MODULE/versions/1.0.0/download/$1?format=zip"; }
for lang in cpp python java; do
  first=$(curl -s -o "$work/$lang.zip" -w '%{http_code} %{size_download} %{time_total}' \
    -m 120 "$(dl_url "$lang")")
  second=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' \
    -m 120 "$(dl_url "$lang")")
  read -r c1 b1 t1 <<<"$first"
  read -r c2 b2 t2 <<<"$second"
  if [ "$c1" != 200 ] || [ "$c2" != 200 ] || [ "$b1" != "$b2" ]; then
    echo "bench: download of $lang: $first, then $second" >&2
    tail -5 "$work/server.log" >&2
    exit 1
  fi
  printf "   %-6s zip %9d bytes (%s entries): first download (generates) %6.0f ms, second %5.1f ms\n" \
    "$lang" "$b1" "$("$PY" -c 'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' \
    "$work/$lang.zip")" "$(awk -v t="$t1" 'BEGIN {print t * 1000}')" \
    "$(awk -v t="$t2" 'BEGIN {print t * 1000}')"
done

codegen_count() { # codegen_count LANGUAGE OUTCOME: spoke_codegen_jobs_total now
  curl -s "http://$HOST:$HEALTH_PORT/metrics" | awk -v l="$1" -v o="$2" '
    $1 ~ /^spoke_codegen_jobs_total\{/ && index($1, "language=\"" l "\"") && index($1, "outcome=\"" o "\"") {print $2}'
}

# dl_wrk LANGUAGE: one measured run into results/dl-LANGUAGE: req/s MB/s errors server_cores
# requests cache_hit_delta generated_delta
dl_wrk() {
  local lang=$1 t0 t1 out hits0 hits1 gen0 gen1
  hits0=$(codegen_count "$lang" cache_hit)
  gen0=$(codegen_count "$lang" generated)
  t0=$(cpu_ticks "$SERVER_PID")
  out=$(taskset -c 1 timeout "$wrk_timeout" wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s \
    -s "$here/lua/report.lua" "$(dl_url "$lang")" | grep '^WRK_RESULT' || true)
  t1=$(cpu_ticks "$SERVER_PID")
  hits1=$(codegen_count "$lang" cache_hit)
  gen1=$(codegen_count "$lang" generated)
  [ -n "$out" ] || { echo "bench: wrk gave no result for $lang" >&2; exit 1; }
  echo "$out" | tr ' ' '\n' | awk -F= -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    -v hits=$((${hits1%.*} - ${hits0%.*})) -v gen=$((${gen1%.*} - ${gen0%.*})) '
    NF == 2 { v[$1] = $2 }
    END {
      secs = v["duration_us"] / 1e6
      errs = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_status"] + v["err_timeout"]
      printf "%.1f %.1f %d %.2f %d %d %d\n", v["requests"] / secs, v["bytes"] / secs / 1e6, errs,
        ticks / hz / secs, v["requests"], hits, gen
    }' >>"$work/results/dl-$lang"
  tail -1 "$work/results/dl-$lang" | awk -v l="$lang" '{printf "   %-6s %8s req/s %8s MB/s  errors %s  server %s cores  (%s requests; cache_hit +%s, generated +%s)\n", l, $1, $2, $3, $4, $5, $6, $7}'
}

echo "== warm-up (2 s each, not recorded)"
for lang in cpp python; do
  taskset -c 1 timeout 20 wrk -t1 -c"$CONNS" -d2s --timeout 10s "$(dl_url "$lang")" >/dev/null
done
for ((rep = 1; rep <= DL_REPEATS; rep++)); do
  echo "== download run $rep/$DL_REPEATS: wrk -t1 -c$CONNS -d$DURATION"
  for lang in cpp python; do dl_wrk "$lang"; done
done
rss=$(mem_kib "$SERVER_PID" VmHWM)
stop_pid "$SERVER_PID"

# ---------------------------------------------------------------- summary
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo
echo "== results (medians; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
echo "module: $(head -1 "$work/inprocess.txt" | cut -d' ' -f2-)"
grep '^output ' "$work/inprocess.txt" | sed 's/^/in-process /'
echo "protoc output: $protoc_files files, $protoc_bytes bytes"
printf "%-52s %10s\n" "step (cpp + python + java, 50 files)" "median ms"
printf "%-52s %10s\n" "in-process compile_schema (parse + link)" "$inproc_compile"
printf "%-52s %10s\n" "in-process generate (3 x GeneratorRunner::generate)" "$inproc_gen"
printf "%-52s %10s\n" "in-process compile + generate" "$inproc_all"
printf "%-52s %10s\n" "in-process zip + tar.gz of the 3 (not in the ratios)" "$inproc_archive"
printf "%-52s %10s\n" "in-process generate, with source info (1 run)" "$inproc_si_gen"
printf "%-52s %10s\n" "protoc --cpp_out --python_out --pyi_out --java_out" "$protoc_ms"
printf "%-52s %10s\n" "protoc --descriptor_set_out=/dev/null (parse + link)" "$protoc_parse_ms"
echo "ratio protoc / in-process generate:            $(ratio "$protoc_ms" "$inproc_gen")"
echo "ratio protoc / in-process compile + generate:  $(ratio "$protoc_ms" "$inproc_all")"
echo
echo "cached downloads, wrk -t1 -c$CONNS -d$DURATION on CPU1, server SPOKE_THREADS=1 on CPU0," \
  "median of $DL_REPEATS:"
printf "%-8s %10s %9s %7s %8s %10s\n" language "zip bytes" "req/s" "MB/s" errors "srv CPU"
for lang in cpp python; do
  printf "%-8s %10s %9s %7s %8s %10s\n" "$lang" "$(stat -c %s "$work/$lang.zip")" \
    "$(col "dl-$lang" 1)" "$(col "dl-$lang" 2)" "$(col "dl-$lang" 3)" "$(col "dl-$lang" 4)"
done
echo "server VmHWM after the downloads: $((rss / 1024)) MiB"
