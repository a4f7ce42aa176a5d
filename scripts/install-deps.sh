#!/usr/bin/env bash
# Installs what Spoke needs on Debian 12 with apt-get. `--test` adds what the test suite and
# benchmarks need. Safe to re-run: packages already present are skipped quickly.
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

build_pkgs=(build-essential cmake ninja-build pkg-config libevent-dev libjansson-dev
  libprotobuf-dev libprotoc-dev protobuf-compiler libsystemd-dev libssl-dev libjemalloc-dev
  libpq-dev libcurl4-openssl-dev libarchive-dev libhttp-parser-dev libjwt-dev libhiredis-dev)
test_pkgs=(libgtest-dev python3 python3-pytest python3-requests python3-jwt python3-cryptography
  clang-format wrk systemd nginx-light util-linux procps iproute2 curl postgresql-15 redis-server
  redis-sentinel redis-tools keepalived nodejs python3-protobuf prometheus python3-yaml
  python3-grpcio protobuf-compiler-grpc protobuf-compiler-grpc-java-plugin protoc-gen-go
  protoc-gen-go-grpc
  clang-14 libclang-rt-14-dev llvm-14)

pkgs=("${build_pkgs[@]}")
[ $want_test = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm comes separately with Debian's nodejs, but is bundled with (and conflicts with the npm
# package of) other node builds: ask for it only when the command is missing.
if [ $want_test = 1 ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "[install-deps] all ${#pkgs[@]} packages present"
  exit 0
fi

SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
echo "[install-deps] installing: ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
