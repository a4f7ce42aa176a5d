#!/usr/bin/env bash
# Runs the compatibility oracle: every pair of tests/compat/corpus against `buf breaking` (WIRE and
# WIRE_JSON) and, given a checker binary, Spoke's BACKWARD verdicts against buf's.
#
#   tests/compat/run.sh [SPOKE_COMPAT_BIN] [-- PYTEST_ARGS...]
#
# SPOKE_COMPAT_BIN (argument or environment): the checker, run as `BIN BEFORE_DIR AFTER_DIR --mode
# BACKWARD`. Without it, or when the path does not exist yet, only the Spoke comparison is skipped;
# SPOKE_COMPAT_REQUIRE=1 turns that into a failure. Installs buf first (tests/compat/install_buf.sh).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ $# -gt 0 ] && [ "$1" != -- ]; then
  export SPOKE_COMPAT_BIN=$1
  shift
fi
[ "${1:-}" = -- ] && shift
if [ -n "${SPOKE_COMPAT_BIN:-}" ] && [ -e "$SPOKE_COMPAT_BIN" ]; then
  SPOKE_COMPAT_BIN=$(realpath "$SPOKE_COMPAT_BIN")
fi

BUF_BIN=$("$REPO/tests/compat/install_buf.sh")
export BUF_BIN
cd "$REPO"
exec /usr/bin/python3 -m pytest -c tests/compat/pytest.ini --rootdir tests/compat tests/compat "$@"
