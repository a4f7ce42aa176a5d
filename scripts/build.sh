#!/usr/bin/env bash
# Configures and builds one build tree: scripts/build.sh BUILD_DIR [extra cmake args...]
# SPOKE_BUILD_TARGETS (space-separated) builds only those targets instead of all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
# shellcheck disable=SC2086  # a list of target names
ninja -C "$dir" ${SPOKE_BUILD_TARGETS:-}
