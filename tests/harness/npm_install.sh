# shellcheck shell=bash
# npm_install_once PREFIX PACKAGE VERSION FILE LOCK_SECONDS: installs PACKAGE@VERSION into PREFIX
# unless PREFIX/FILE (a file the package ships) exists. Concurrent runs wait on a flock instead of
# installing into the same prefix at once. npm's cache is $REPO_ROOT/.cache/npm/cache. Sourced by
# the harness scripts, which define REPO_ROOT, log and die.
npm_install_once() {
  local prefix=$1 package=$2 version=$3 file=$1/$4 lock_seconds=$5
  [ -f "$file" ] && return 0
  command -v npm >/dev/null || die "no npm (apt-get install nodejs npm)"
  mkdir -p "$prefix"
  (
    flock -w "$lock_seconds" 9 || die "timed out waiting for the npm install lock"
    [ -f "$file" ] && exit 0
    log "installing $package@$version into $prefix"
    timeout 300 npm install --prefix "$prefix" --cache "$REPO_ROOT/.cache/npm/cache" \
      --no-audit --no-fund --loglevel=error "$package@$version" >&2
  ) 9>"$prefix.lock" || die "npm install $package@$version failed"
  [ -f "$file" ] || die "npm install $package@$version left no $file"
}
