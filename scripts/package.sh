#!/usr/bin/env bash
# Builds the Debian package spoke_<version>_amd64.deb into DIST_DIR (default: dist/):
#   scripts/package.sh [DIST_DIR] [BUILD_DIR]
# BUILD_DIR defaults to a Release build of its own (build-package/); the test suite passes its
# plain build to check the packaging without compiling again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${1:-$root/dist}
build=${2:-$root/build-package}
if [ $# -lt 2 ]; then
  SPOKE_BUILD_TARGETS=spoke-server "$root/scripts/build.sh" "$build" -DCMAKE_BUILD_TYPE=Release \
    -DSPOKE_BUILD_TESTS=OFF
fi
mkdir -p "$dist"
(cd "$build" && cpack -G DEB -B "$dist" >/dev/null)
rm -rf "$dist/_CPack_Packages"
ls "$dist"/spoke_*_amd64.deb
