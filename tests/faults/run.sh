#!/usr/bin/env bash
# Runs the fault tests against a spoke-server binary. Each tests/faults/test_*.py file gets its own
# fresh backing servers (tests/harness/services.sh run --with-standby --with-s3), because its tests
# kill, freeze and promote them.
#
#   tests/faults/run.sh SPOKE_SERVER_BIN [TEST_FILE...] [-- PYTEST_ARGS...]
#
# TEST_FILE defaults to every tests/faults/test_*.py. Prints a summary; exits non-zero if any file
# failed. FAULTS_FILE_TIMEOUT (seconds, default 240) bounds each file, teardown included.
set -uo pipefail

usage() {
  sed -n '2,9p' "$0" >&2
  exit 2
}
[ $# -ge 1 ] || usage
BIN=$(realpath -e "$1" 2>/dev/null) || {
  echo "run.sh: no spoke-server binary at $1" >&2
  exit 2
}
[ -x "$BIN" ] || {
  echo "run.sh: $BIN is not executable" >&2
  exit 2
}
shift
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 2
LIMIT=${FAULTS_FILE_TIMEOUT:-240}

FILES=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  f=$1
  [ -f "$f" ] || f=tests/faults/$(basename "$1")
  [ -f "$f" ] || {
    echo "run.sh: no test file $1" >&2
    exit 2
  }
  FILES+=("$f")
  shift
done
[ "${1:-}" = -- ] && shift
if [ ${#FILES[@]} -eq 0 ]; then FILES=(tests/faults/test_*.py); fi

export SPOKE_SERVER_BIN=$BIN
SUMMARY=()
FAILED=0
for f in "${FILES[@]}"; do
  echo "=== $f" >&2
  t0=$EPOCHREALTIME
  # --foreground: on timeout only services.sh gets SIGTERM; it passes it to pytest (whose conftest
  # turns it into KeyboardInterrupt, so fixtures stop their servers) and then tears down.
  timeout --foreground -k 60 "$LIMIT" tests/harness/services.sh run --with-standby --with-s3 -- \
    /usr/bin/python3 -m pytest -c tests/faults/pytest.ini --rootdir tests/faults "$f" "$@"
  rc=$?
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b-a}')
  case $rc in
    0) result=PASS ;;
    124 | 137) result="FAIL (time limit ${LIMIT}s)" ;;
    *) result="FAIL (exit $rc)" ;;
  esac
  [ $rc -eq 0 ] || FAILED=$((FAILED + 1))
  SUMMARY+=("$(printf '%-40s %5ss  %s' "$(basename "$f")" "$secs" "$result")")
done

echo
echo "=== fault tests: ${#FILES[@]} files, $FAILED failed (binary: $BIN)"
printf '%s\n' "${SUMMARY[@]}"
[ $FAILED -eq 0 ]
