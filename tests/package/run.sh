#!/usr/bin/env bash
# Builds the Debian package from BUILD_DIR, installs it on this machine, checks it and removes it:
#   tests/package/run.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
SPOKE_PACKAGE_BUILD_DIR=$(cd "$1" && pwd) /usr/bin/python3 -m pytest -c "$root/tests/pytest.ini" \
  "$root/tests/package" -q
