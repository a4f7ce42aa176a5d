#!/usr/bin/env bash
# Installs dependencies, builds a release binary and starts spoke-server in the foreground on the
# embedded filesystem backend (./data), API on :8080 and health/metrics on :9090.
# Any SPOKE_* variable set in the environment applies (see docs/configuration.md).
#
# Reads are open; writes need a token. Once the server is ready on a filesystem root with no token
# in tokens/ yet (the server makes the directory empty), this makes its first admin token with the
# bootstrap command (`spoke-server token create`, docs/operations.md) and prints it once; otherwise
# it prints how to make one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DSPOKE_BUILD_TESTS=OFF
cd "$root"
bin=build-release/spoke-server

ready() { # /health/ready answers 200 (bash's /dev/tcp: curl need not be installed)
  local host=${SPOKE_HOST:-127.0.0.1} line=
  case $host in 0.0.0.0) host=127.0.0.1 ;; ::) host=::1 ;; esac
  { printf 'GET /health/ready HTTP/1.0\r\n\r\n' >&3 && IFS= read -r -t 2 line <&3; } \
    2>/dev/null 3<>"/dev/tcp/$host/${SPOKE_HEALTH_PORT:-9090}" || return 1
  [[ $line == "HTTP/1."[01]" 200"* ]]
}

first_token() { # waits until the server ($$, exec'd below) is ready, then tells about tokens
  local data=${SPOKE_FILESYSTEM_ROOT:-./data} make token i
  make="$bin token create --name NAME --scope write"
  for ((i = 0; i < 1200; i++)); do
    kill -0 $$ 2>/dev/null || return 0
    ready && break
    sleep 0.1
  done
  ready || return 0
  if [ "${SPOKE_STORAGE_TYPE:-filesystem}" != filesystem ] ||
    [ -n "$(find "$data/tokens" -mindepth 1 -print -quit 2>/dev/null)" ]; then
    echo "start.sh: writes need a token (Authorization: Bearer); make one with: $make" \
      "(same SPOKE_* settings), or POST /auth/tokens with an admin token" >&2
    return 0
  fi
  token=$("$bin" token create --name bootstrap-admin --scope admin) || return 0
  cat >&2 <<EOF
start.sh: the first admin token of $data (shown only now; keep it):
  TOKEN=$token
Writes need it:  curl -XPOST localhost:${SPOKE_PORT:-8080}/modules -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"name":"acme-common"}'
More tokens:     POST /auth/tokens with it (docs/api.md), or: $make
EOF
}

# In the background, detached from this process (which becomes the server), so the server stays
# this script's pid for signals and its exit code.
(first_token </dev/null &)
exec "$bin"
