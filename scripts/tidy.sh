#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy) over the tree: scripts/tidy.sh [FOLDER...]
# With no folder it checks every compiled source (the layers, tests, tools and benchmarks); with
# folders (e.g. `reactor registry`) only the sources under them. Exits non-zero on any finding.
# SPOKE_TIDY_BUILD picks the build tree whose compile_commands.json it uses (configured here,
# nothing is compiled); SPOKE_TIDY_JOBS the parallelism (default: every core).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SPOKE_TIDY_BUILD:-$root/build-tidy}
jobs=${SPOKE_TIDY_JOBS:-$(nproc)}
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
runner=$(command -v run-clang-tidy-14 || command -v run-clang-tidy)

# The same configuration as the test builds, so the test-hook code is checked too.
cmake -S "$root" -B "$dir" -G Ninja -DSPOKE_TEST_HOOKS=ON >/dev/null

folders=("$@")
[ ${#folders[@]} -eq 0 ] && folders=(common reactor registry backends services handlers server tests bench)
regex="^$root/($(IFS='|'; echo "${folders[*]%/}"))/"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# -Wno-unknown-warning-option: the database holds GCC's flags (-Wno-restrict), unknown to clang.
status=0
"$runner" -clang-tidy-binary "$tidy" -p "$dir" -j "$jobs" -quiet \
    -extra-arg=-Wno-unknown-warning-option "$regex" >"$log" 2>&1 || status=$?
# Only the findings: not the command lines, nor the per-file counts of suppressed warnings.
# (run-clang-tidy 14 always asks for colour: strip it for the CI log.)
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v -F "$tidy " |
    grep -v -E '^[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter=|^$' || true
if [ $status -ne 0 ]; then
  echo "clang-tidy: findings above (fix them, or NOLINT(check) with the reason)"
fi
exit $status
