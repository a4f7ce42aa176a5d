#!/usr/bin/env bash
# Runs the tests that need real backing servers, with PostgreSQL (primary + standby) and S3 started
# around them: the harness checks (pytest) and, when SPOKE_SERVICE_TESTS_BIN names a built
# spoke_service_tests, the C++ component tests against the same servers.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec tests/harness/services.sh run --with-standby --with-s3 -- bash -c '
  /usr/bin/python3 -m pytest tests/services "$@" || exit 1
  if [ -n "${SPOKE_SERVICE_TESTS_BIN:-}" ]; then "$SPOKE_SERVICE_TESTS_BIN"; fi
' run.sh "$@"
