#!/usr/bin/env bash
# Installs the npm package @kafkajs/confluent-schema-registry (a Confluent Schema Registry client
# for Node.js) at a pinned version, once, and prints its npm prefix on stdout:
#
#   NODE_PATH="$(tests/harness/confluent_client.sh)/node_modules" node script.js
#
# The prefix is $REPO_ROOT/.cache/npm/confluent-schema-registry-VERSION (.cache is git-ignored);
# the install happens only when the package is missing, under a flock so that concurrent runs do
# not install into the same prefix at once, as services.sh installs @20minutes/s3rver.
# Knobs: CONFLUENT_CLIENT_LOCK_TIMEOUT (seconds to wait for another run's install, default 330:
# longer than one install may take).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO_ROOT
# The newest release that declares no node version (4.x declares node >= 22; Debian's and our
# machines' node is older).
readonly CLIENT_VERSION=3.9.0
readonly CLIENT_PACKAGE=@kafkajs/confluent-schema-registry
readonly CLIENT_PREFIX=$REPO_ROOT/.cache/npm/confluent-schema-registry-$CLIENT_VERSION
readonly LOCK_TIMEOUT=${CONFLUENT_CLIENT_LOCK_TIMEOUT:-330}

log() { printf '[confluent-client] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

main=$CLIENT_PREFIX/node_modules/$CLIENT_PACKAGE/dist/index.js
if [ ! -f "$main" ]; then
  command -v npm >/dev/null || die "no npm (apt-get install nodejs npm)"
  mkdir -p "$CLIENT_PREFIX"
  (
    flock -w "$LOCK_TIMEOUT" 9 || die "timed out waiting for the npm install lock"
    [ -f "$main" ] && exit 0
    log "installing $CLIENT_PACKAGE@$CLIENT_VERSION into $CLIENT_PREFIX"
    timeout 300 npm install --prefix "$CLIENT_PREFIX" --cache "$REPO_ROOT/.cache/npm/cache" \
      --no-audit --no-fund --loglevel=error "$CLIENT_PACKAGE@$CLIENT_VERSION" >&2
  ) 9>"$CLIENT_PREFIX.lock" || die "npm install $CLIENT_PACKAGE@$CLIENT_VERSION failed"
  [ -f "$main" ] || die "npm install $CLIENT_PACKAGE@$CLIENT_VERSION left no $main"
fi
printf '%s\n' "$CLIENT_PREFIX"
