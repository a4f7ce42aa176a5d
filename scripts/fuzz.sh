#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang 14, ASan + UBSan) and runs each one, bounded,
# on a copy of its seed corpus (tests/fuzz/corpus/<target>, never modified here), with its
# dictionary when it has one:
#   scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]     (default 30 s per target)
# Prints one line per target (executions, time, coverage features and corpus gained). Exits 1 if
# any target crashed, hung (-timeout=10 per input), leaked, ran out of memory or broke one of its
# invariants: the input is kept under BUILD_DIR/fuzz-artifacts/<target>/ and the log under
# BUILD_DIR/fuzz-logs/. tests/fuzz/README.md says how to turn one into a regression test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [SECONDS_PER_TARGET]" >&2
  exit 2
fi
dir=$1
seconds=${2:-30}
cxx=${SPOKE_FUZZ_CXX:-clang++-14}

# Only the fuzz targets and the libraries they link: no unit tests, no spoke-server. -O1 keeps
# the asserts of Result<T> (Debug) and fuzzes fast; line tables suffice for the reports.
SPOKE_BUILD_TARGETS=fuzz_targets "$root/scripts/build.sh" "$dir" -DCMAKE_CXX_COMPILER="$cxx" \
  -DSPOKE_FUZZ=ON -DSPOKE_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only"

# Stop at the first error of any kind; leaks are reported at the end of each input by libFuzzer.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=0:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:symbolize=1
for s in llvm-symbolizer-14 llvm-symbolizer; do
  if command -v "$s" >/dev/null 2>&1; then
    export ASAN_SYMBOLIZER_PATH=$(command -v "$s")
    break
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/fuzz-artifacts" "$dir/fuzz-logs"
failed=0
while read -r target; do
  [ -n "$target" ] || continue
  corpus="$work/$target"
  rm -rf "$dir/fuzz-artifacts/$target"
  mkdir -p "$corpus" "$dir/fuzz-artifacts/$target"
  if [ -d "$root/tests/fuzz/corpus/$target" ]; then
    cp -R "$root/tests/fuzz/corpus/$target/." "$corpus/"
  fi
  # A fixed seed by default: CI replays the same mutations each run (a red CI means a regression,
  # not a lucky find); SPOKE_FUZZ_SEED=0 lets libFuzzer pick one, as longer runs should.
  args=(-seed="${SPOKE_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$dir/fuzz-artifacts/$target/")
  [ -f "$root/tests/fuzz/$target.dict" ] && args+=(-dict="$root/tests/fuzz/$target.dict")
  log="$dir/fuzz-logs/$target.log"
  start=$(date +%s)
  rc=0
  "$dir/tests/fuzz/$target" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - start ))
  fuzz_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  # "#N INITED cov: C ft: F corp: U/..." after the seeds, "#N DONE ..." at the end.
  features() { sed -n "s/^#[0-9]*[[:space:]]*$1 .* ft: \([0-9]*\) corp: \([0-9]*\).*/\1 \2/p" "$log" | tail -1; }
  read -r ft0 corp0 <<<"$(features INITED)" || true
  read -r ft1 corp1 <<<"$(features DONE)" || true
  execs=$(fuzz_stat number_of_executed_units)
  if [ $rc -eq 0 ]; then
    echo "[fuzz] $target: ok, ${execs:-?} executions in ${elapsed} s, features ${ft0:-?} -> ${ft1:-?}, corpus ${corp0:-?} -> ${corp1:-?}"
  else
    failed=1
    echo "[fuzz] $target: FAILED (exit $rc) after ${execs:-?} executions in ${elapsed} s; log $log"
    grep -E "ERROR:|runtime error|fuzz invariant|SUMMARY|Test unit written|timeout|out-of-memory" "$log" | head -20 || true
    for a in "$dir/fuzz-artifacts/$target"/*; do
      [ -f "$a" ] && echo "[fuzz]   reproduce: $dir/tests/fuzz/$target $a"
    done
  fi
done <"$dir/fuzz_targets.txt"
exit $failed
