#!/usr/bin/env bash
# Installs the buf CLI (npm @bufbuild/buf, a pinned version) into .cache/npm/buf-<version> for the
# compatibility oracle, and prints the path of the buf binary on stdout. Skips the install when
# that version is already there. Logs go to stderr.
#
#   tests/compat/install_buf.sh
#   -> .../.cache/npm/buf-1.75.0/node_modules/@bufbuild/buf-linux-x64/bin/buf
#
# The npm package ships the Go binary through an optional per-platform package
# (@bufbuild/buf-linux-x64, ...) that npm fetches from the same registry; nothing else is downloaded.
# We print that native binary rather than the package's node launcher (.bin/buf), which would
# start a node process around every one of the oracle's few hundred buf runs.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO_ROOT
# Pinned so the oracle's verdicts do not move under us; the package only needs node >= 12.
readonly BUF_VERSION=1.75.0
readonly BUF_PREFIX=$REPO_ROOT/.cache/npm/buf-$BUF_VERSION
case "$(uname -m)" in
  x86_64 | amd64) platform=linux-x64 ;;
  aarch64 | arm64) platform=linux-aarch64 ;;
  armv7l) platform=linux-armv7 ;;
  *) platform="" ;;
esac
if [ -n "$platform" ]; then
  readonly BUF_BIN=$BUF_PREFIX/node_modules/@bufbuild/buf-$platform/bin/buf
else
  readonly BUF_BIN=$BUF_PREFIX/node_modules/.bin/buf
fi
readonly TIMEOUT=${BUF_INSTALL_TIMEOUT:-300}

log() { printf '[install_buf] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# The installed binary must also run and report the pinned version (a half-finished install
# leaves the .bin link without the platform package behind it).
installed() { [ -x "$BUF_BIN" ] && [ "$("$BUF_BIN" --version 2>/dev/null)" = "$BUF_VERSION" ]; }

if ! installed; then
  command -v npm >/dev/null || die "no npm (scripts/install-deps.sh --test installs nodejs and npm)"
  mkdir -p "$BUF_PREFIX"
  # The lock keeps concurrent runs from installing into the same prefix at once.
  (
    flock -w "$TIMEOUT" 9 || die "timed out waiting for the npm install lock"
    installed && exit 0
    log "installing @bufbuild/buf@$BUF_VERSION into $BUF_PREFIX"
    timeout "$TIMEOUT" npm install --prefix "$BUF_PREFIX" --cache "$REPO_ROOT/.cache/npm/cache" \
      --no-audit --no-fund --loglevel=error "@bufbuild/buf@$BUF_VERSION" >&2
  ) 9>"$BUF_PREFIX.lock" || die "npm install @bufbuild/buf@$BUF_VERSION failed"
  installed || die "$BUF_BIN does not run or is not version $BUF_VERSION"
fi
printf '%s\n' "$BUF_BIN"
