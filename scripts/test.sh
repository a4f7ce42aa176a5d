#!/usr/bin/env bash
# Installs dependencies, runs clang-tidy and the format check, checks the harness of real backing
# servers (PostgreSQL primary + standby, S3) on loopback, builds three times (plain; AddressSanitizer
# + UndefinedBehaviorSanitizer with clang, which also builds the fuzz targets; ThreadSanitizer),
# and runs the suite against each build: unit tests
# (ctest; those labelled `backing` run inside the harness that starts PostgreSQL and S3) and the
# end-to-end tests (pytest) that drive the real spoke-server over HTTP on loopback, once on the
# filesystem backend and once on the postgres backend (PostgreSQL primary + standby, S3), and the
# generated-code round trip (tests/codegen); the plain build also gets the compatibility oracle
# against buf (tests/compat), the fault tests (tests/faults) and the Debian package
# (tests/package); the TSan build runs the unit tests
# and the end-to-end suite on the filesystem backend. Last, the sanitized build runs each libFuzzer
# target of tests/fuzz briefly (scripts/fuzz.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh" --test

PY=/usr/bin/python3  # Debian's python with python3-pytest; a pyenv python may shadow it on PATH
failed_stages=()
current_stage=""
started=$(date +%s)
# A stage's header, with the minutes since the start: where CI's time goes, read off its log.
stage() {
  current_stage="$*"
  printf '=== [%s +%dm%02ds] %s\n' "$(date -u +%H:%M:%S)" $(( ($(date +%s) - started) / 60 )) $(( ($(date +%s) - started) % 60 )) "$*"
}
# CI shows only the log's tail, so the end names every stage that failed and the lines of its
# output that say what failed (pytest's FAILED/ERROR lines, ctest's failed tests, fuzz failures).
failure_lines=$(mktemp)
trap 'rm -f "$failure_lines"' EXIT
stage_failed() { failed_stages+=("$current_stage"); }
check() {  # check COMMAND...: runs it, its output also kept to pick the failure lines from
  local log
  log=$(mktemp)
  if "$@" 2>&1 | tee "$log"; then :; else
    stage_failed
    { echo "--- $current_stage"
      grep -aE '^(FAILED|ERROR) |[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted)\)|^\[fuzz\] .*: FAILED' "$log" | tail -n 30
    } >> "$failure_lines"
  fi
  rm -f "$log"
}

run_suite() {  # run_suite NAME BUILD_DIR [cmake args...]
  local name=$1 dir=$2
  shift 2
  stage "[$name] build"
  "$root/scripts/build.sh" "$dir" -DSPOKE_TEST_HOOKS=ON "$@"
  stage "[$name] unit tests"
  check env -C "$dir" ctest --output-on-failure -j2 -LE backing
  stage "[$name] end-to-end tests"
  check env SPOKE_SERVER_BIN="$dir/spoke-server" "$PY" -m pytest -c "$root/tests/pytest.ini" "$root/tests/integration"
  stage "[$name] backing services: PostgreSQL primary + streaming standby, signature-checking S3"
  local backing_bin=""
  [ -x "$dir/spoke_backing_tests" ] && backing_bin="$dir/spoke_backing_tests"
  check env SPOKE_BACKING_TESTS_BIN="$backing_bin" "$root/tests/backing/run.sh"
  stage "[$name] end-to-end tests on the postgres backend (PostgreSQL primary + standby, S3; Redis master + replica + 3 Sentinels)"
  check env SPOKE_SERVER_BIN="$dir/spoke-server" SPOKE_TEST_STORAGE=postgres \
    "$root/tests/harness/services.sh" run --with-standby --with-s3 --with-sentinel -- \
    "$PY" -m pytest -c "$root/tests/pytest.ini" "$root/tests/integration"
  stage "[$name] generated code round trip (g++ and python3 against libprotobuf)"
  check "$root/tests/codegen/run.sh" "$dir"
  if [ "$name" = plain ]; then
    stage "[$name] compatibility oracle: our checker against buf breaking (WIRE, WIRE_JSON)"
    check env SPOKE_COMPAT_REQUIRE=1 "$root/tests/compat/run.sh" "$dir/spoke-compat-check" -- -q
    stage "[$name] fault tests"
    check "$root/tests/faults/run.sh" "$dir/spoke-server"
    stage "[$name] Debian package (cpack, dpkg -i, checks, purge)"
    check "$root/tests/package/run.sh" "$dir"
  fi
}

# ThreadSanitizer: the loops share the response cache, the worker pool and (postgres) the write
# fence. Its own Debug build (TSan at -O2 took 1.6x the compile time here, and the stage is
# mostly build); the unit tests (not those labelled `backing`: they need the backing servers) and
# the end-to-end suite on the filesystem backend, whose servers run 2 loops and 2 workers
# (tests/harness/spoke_process.py). Any report fails the stage: the process exits 66, and the
# harness fails the test on the report in the server's stderr or on that exit code.
run_tsan() {  # run_tsan BUILD_DIR
  local dir=$1
  stage "[tsan] build"
  "$root/scripts/build.sh" "$dir" -DSPOKE_TSAN=ON -DSPOKE_TEST_HOOKS=ON -DCMAKE_BUILD_TYPE=Debug
  stage "[tsan] unit tests"
  check env -C "$dir" TSAN_OPTIONS="$TSAN_RUN_OPTIONS" ctest --output-on-failure -j2 -LE backing
  stage "[tsan] end-to-end tests (filesystem backend)"
  # A TSan server needs ~25 s to get ready on this box (the code generators' start-up), not 20.
  check env TSAN_OPTIONS="$TSAN_RUN_OPTIONS" SPOKE_TEST_READY_TIMEOUT=90 SPOKE_SERVER_BIN="$dir/spoke-server" \
    "$PY" -m pytest -c "$root/tests/pytest.ini" "$root/tests/integration"
}
TSAN_RUN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$root/tests/harness/tsan.supp"

stage "clang-tidy (.clang-tidy over the whole tree)"
check "$root/scripts/tidy.sh"

stage "format check"
if ! clang-format --dry-run --Werror $(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find reactor registry backends handlers server tests -name '*.[ch]pp'); then
  echo "clang-format: files above need formatting (clang-format -i)"; stage_failed
fi

run_suite plain "$root/build-test" -DCMAKE_BUILD_TYPE=Release
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# ASan + UBSan: one clang build serves the sanitized suite and the libFuzzer targets (SPOKE_FUZZ
# instruments every library for both), with the flags scripts/fuzz.sh uses, so the fuzz stage
# below builds nothing. A separate build for each cost ~8 min of CI.
run_suite sanitized "$root/build-fuzz" -DCMAKE_CXX_COMPILER=clang++-14 -DSPOKE_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only"
run_tsan "$root/build-tsan"

# libFuzzer: the .proto ingestion, names and versions, the write routes' JSON bodies, the
# compatibility checker and the HTTP layer as a whole (tests/fuzz), each for a bounded time on a
# copy of its seed corpus.
FUZZ_SECONDS=${SPOKE_FUZZ_SECONDS:-20}
stage "fuzz (libFuzzer, ASan+UBSan, $FUZZ_SECONDS s per target)"
check "$root/scripts/fuzz.sh" "$root/build-fuzz" "$FUZZ_SECONDS"

stage "end"
if [ ${#failed_stages[@]} -ne 0 ]; then
  cat "$failure_lines"
  printf '=== failed stage: %s\n' "${failed_stages[@]}"
  echo "=== FAILED"
  exit 1
fi
echo "=== all suites passed"
