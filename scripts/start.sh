#!/usr/bin/env bash
# Installs dependencies, builds a release binary and starts spoke-server in the foreground on the
# embedded filesystem backend (./data), API on :8080 and health/metrics on :9090.
# Any SPOKE_* variable set in the environment applies (see docs/configuration.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DSPOKE_BUILD_TESTS=OFF
cd "$root"
exec "$root/build-release/spoke-server"
