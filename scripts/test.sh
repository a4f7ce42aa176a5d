#!/usr/bin/env bash
# Installs dependencies, checks the harness of real backing servers (PostgreSQL primary + standby,
# S3) on loopback, builds twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer), and
# runs the whole suite against each build: unit tests (ctest) and the end-to-end tests (pytest)
# that drive the real spoke-server over HTTP on loopback, once on the filesystem backend and once on
# the postgres backend (PostgreSQL primary + standby, S3), and the generated-code round trip
# (tests/codegen); the plain build also gets the compatibility oracle against buf (tests/compat)
# and the fault tests (tests/faults).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh" --test

PY=/usr/bin/python3  # Debian's python with python3-pytest; a pyenv python may shadow it on PATH
failed=0

run_suite() {  # run_suite NAME BUILD_DIR [cmake args...]
  local name=$1 dir=$2
  shift 2
  echo "=== [$name] build"
  "$root/scripts/build.sh" "$dir" -DSPOKE_TEST_HOOKS=ON "$@"
  echo "=== [$name] unit tests"
  (cd "$dir" && ctest --output-on-failure -j2 -LE backing) || failed=1
  echo "=== [$name] end-to-end tests"
  SPOKE_SERVER_BIN="$dir/spoke-server" "$PY" -m pytest -c "$root/tests/pytest.ini" "$root/tests/integration" || failed=1
  echo "=== [$name] backing services: PostgreSQL primary + streaming standby, signature-checking S3"
  local backing_bin=""
  [ -x "$dir/spoke_backing_tests" ] && backing_bin="$dir/spoke_backing_tests"
  SPOKE_BACKING_TESTS_BIN="$backing_bin" "$root/tests/backing/run.sh" || failed=1
  echo "=== [$name] end-to-end tests on the postgres backend (PostgreSQL primary + standby, S3)"
  SPOKE_SERVER_BIN="$dir/spoke-server" SPOKE_TEST_STORAGE=postgres \
    "$root/tests/harness/services.sh" run --with-standby --with-s3 -- \
    "$PY" -m pytest -c "$root/tests/pytest.ini" "$root/tests/integration" || failed=1
  echo "=== [$name] generated code round trip (g++ and python3 against libprotobuf)"
  "$root/tests/codegen/run.sh" "$dir" || failed=1
  if [ "$name" = plain ]; then
    echo "=== [$name] compatibility oracle: our checker against buf breaking (WIRE, WIRE_JSON)"
    SPOKE_COMPAT_REQUIRE=1 "$root/tests/compat/run.sh" "$dir/spoke-compat-check" -- -q || failed=1
    echo "=== [$name] fault tests"
    "$root/tests/faults/run.sh" "$dir/spoke-server" || failed=1
  fi
}

echo "=== format check"
if ! clang-format --dry-run --Werror $(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find reactor registry backends handlers server tests -name '*.[ch]pp'); then
  echo "clang-format: files above need formatting (clang-format -i)"; failed=1
fi

run_suite plain "$root/build-test" -DCMAKE_BUILD_TYPE=Release
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite sanitized "$root/build-asan" -DSPOKE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

if [ $failed -ne 0 ]; then
  echo "=== FAILED"
  exit 1
fi
echo "=== all suites passed"
