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

# shellcheck source=tests/harness/npm_install.sh
. "$REPO_ROOT/tests/harness/npm_install.sh"
npm_install_once "$CLIENT_PREFIX" "$CLIENT_PACKAGE" "$CLIENT_VERSION" \
  "node_modules/$CLIENT_PACKAGE/dist/index.js" "$LOCK_TIMEOUT"
printf '%s\n' "$CLIENT_PREFIX"
