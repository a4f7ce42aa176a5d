#!/usr/bin/env bash
# Runs the tests that need real backing servers, with PostgreSQL (primary + standby) and S3 started
# around them: the harness checks (pytest) and, when SPOKE_BACKING_TESTS_BIN names a built
# spoke_backing_tests, the C++ component tests against the same servers (ctest -L backing in the
# build directory that holds it).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec tests/harness/services.sh run --with-standby --with-s3 -- bash -c '
  /usr/bin/python3 -m pytest tests/backing "$@" || exit 1
  if [ -n "${SPOKE_BACKING_TESTS_BIN:-}" ]; then
    SPOKE_BACKING=1 ctest --test-dir "$(dirname "$SPOKE_BACKING_TESTS_BIN")" -L backing \
      --output-on-failure --no-tests=error
  fi
' run.sh "$@"
