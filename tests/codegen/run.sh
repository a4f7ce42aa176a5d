#!/usr/bin/env bash
# Real round trip of generated code. spoke-codegen-fixture compiles the two-module fixture
# (app imports two of base's three files and google/protobuf/timestamp.proto) as a push would and
# generates C++, Python and Java (plus gRPC stubs when Debian's protobuf-compiler-grpc is
# installed) into zip and tar.gz archives, the way the server does. Then:
#   - base's file that app does not import (audit.proto) must not be generated;
#   - g++ builds the generated C++ with roundtrip.cpp against libprotobuf and runs it;
#   - /usr/bin/python3 (Debian's python3-protobuf) imports the generated Python, parses the
#     bytes the C++ wrote and round-trips a message of its own;
#   - with grpc_python_plugin, the stubs are imported and called over a unix socket when grpcio
#     (python3-grpcio) is installed, else only checked to exist;
#   - a second run must give byte-identical archives.
# Usage: tests/codegen/run.sh [BUILD_DIR]   (default: $SPOKE_BUILD_DIR or ./build)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${SPOKE_BUILD_DIR:-$here/../../build}}
tool=$build/spoke-codegen-fixture
[ -x "$tool" ] || { echo "run.sh: $tool not built (ninja spoke-codegen-fixture)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo "[codegen] $*"; }

languages=(cpp python java)
have_grpc_python=0
if command -v grpc_python_plugin >/dev/null 2>&1; then
  have_grpc_python=1
  languages+=(python+grpc)
fi
command -v grpc_cpp_plugin >/dev/null 2>&1 && languages+=(cpp+grpc)

step "generating: ${languages[*]}"
"$tool" "$here/fixture" "$work/out" "${languages[@]}"
"$tool" "$here/fixture" "$work/again" "${languages[@]}" >/dev/null
for f in "$work"/out/*; do
  cmp -s "$f" "$work/again/$(basename "$f")" || { echo "run.sh: $(basename "$f") differs between runs" >&2; exit 1; }
done
step "archives are byte-identical across runs ($(ls "$work/out" | wc -l) files)"

# Both formats must unpack with the usual tools to the same tree.
unpack() {  # ARCHIVE_STEM DIR
  mkdir -p "$2" "$2.zip"
  tar -xzf "$work/out/$1.tar.gz" -C "$2"
  /usr/bin/python3 -m zipfile -e "$work/out/$1.zip" "$2.zip"
  diff -r "$2" "$2.zip" >/dev/null || { echo "run.sh: $1.zip and $1.tar.gz differ" >&2; exit 1; }
}

# Generated code covers what the version uses: base's audit.proto is not imported by app.
not_generated() {  # DIR FILE...
  local dir=$1; shift
  for f in "$@"; do
    [ ! -e "$dir/$f" ] || { echo "run.sh: $f was generated, but app does not import it" >&2; exit 1; }
  done
}

unpack cpp "$work/cpp"
not_generated "$work/cpp" fixture/base/v1/audit.pb.h fixture/base/v1/audit.pb.cc
step "g++: generated C++ + roundtrip.cpp against libprotobuf"
# shellcheck disable=SC2046
g++ -std=c++17 -O0 -I"$work/cpp" $(find "$work/cpp" -name '*.pb.cc' | sort) "$here/roundtrip.cpp" \
  $(pkg-config --cflags --libs protobuf) -o "$work/roundtrip"
"$work/roundtrip" "$work/order.bin"
for h in fixture/base/v1/money.pb.h fixture/base/v1/address.pb.h fixture/app/v1/order.pb.h; do
  [ -s "$work/cpp/$h" ] || { echo "run.sh: missing $h" >&2; exit 1; }
done

unpack python "$work/python"
for f in fixture/app/v1/order_pb2.pyi fixture/base/v1/money_pb2.pyi; do
  [ -s "$work/python/$f" ] || { echo "run.sh: missing $f" >&2; exit 1; }
done
not_generated "$work/python" fixture/base/v1/audit_pb2.py
step "python3: import the generated Python"
(cd "$work/python" && PYTHONPATH="$work/python" /usr/bin/python3 "$here/roundtrip.py" "$work/order.bin")

unpack java "$work/java"
for f in dev/spoke/fixture/app/v1/Order.java dev/spoke/fixture/base/v1/Money.java \
         dev/spoke/fixture/base/v1/Address.java; do
  [ -s "$work/java/$f" ] || { echo "run.sh: missing $f" >&2; exit 1; }
done
not_generated "$work/java" dev/spoke/fixture/base/v1/AuditEntry.java
step "java: $(find "$work/java" -name '*.java' | wc -l) files under their java_package paths"

if [ $have_grpc_python = 1 ]; then
  unpack python-grpc "$work/python-grpc"
  [ -s "$work/python-grpc/fixture/app/v1/order_pb2_grpc.py" ] || { echo "run.sh: no gRPC stubs" >&2; exit 1; }
  if /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
    step "python3: gRPC stubs, a real call"
    (cd "$work/python-grpc" && PYTHONPATH="$work/python-grpc" /usr/bin/python3 "$here/roundtrip.py" "$work/order.bin" grpc)
  else
    step "python3-grpcio missing: gRPC stubs only checked to exist"
  fi
fi
if [[ " ${languages[*]} " == *" cpp+grpc "* ]]; then
  unpack cpp-grpc "$work/cpp-grpc"
  [ -s "$work/cpp-grpc/fixture/app/v1/order.grpc.pb.h" ] || { echo "run.sh: no C++ gRPC stubs" >&2; exit 1; }
fi
step "all good"
