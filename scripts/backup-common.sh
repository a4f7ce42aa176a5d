# shellcheck shell=bash
# Shared by scripts/backup and scripts/restore: settings from the server's own SPOKE_* variables
# (an --env-file such as /etc/spoke/spoke.env, or the environment) and S3 calls signed with SigV4
# by curl, so a backup needs nothing the server does not.

# The including script sets prog (its name, for messages).
: "${prog:?}"
die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

# Loads KEY=VALUE lines (systemd EnvironmentFile syntax: comments, optional quotes) into the
# environment; values already in the environment stay, as with `systemctl` overrides.
load_env_file() {
  local file=$1 line key value
  [ -r "$file" ] || die "cannot read $file"
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    case $line in '' | '#'* | ';'*) continue ;; esac
    key=${line%%=*}
    value=${line#*=}
    [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case $value in \"*\") value=${value:1:-1} ;; \'*\') value=${value:1:-1} ;; esac
    [ -n "${!key+set}" ] || export "$key=$value"
  done < "$file"
}

storage_type() {
  case ${SPOKE_STORAGE_TYPE:-filesystem} in
    filesystem) echo filesystem ;;
    postgres | hybrid) echo postgres ;;
    *) die "SPOKE_STORAGE_TYPE=${SPOKE_STORAGE_TYPE} is not filesystem, postgres or hybrid" ;;
  esac
}

require_s3() {
  local v
  for v in SPOKE_POSTGRES_URL SPOKE_S3_ENDPOINT SPOKE_S3_BUCKET SPOKE_S3_ACCESS_KEY SPOKE_S3_SECRET_KEY; do
    [ -n "${!v:-}" ] || die "$v is not set (the postgres storage type needs it)"
  done
  command -v curl >/dev/null || die "curl is missing"
}

truthy() { case ${1,,} in 1 | true | yes | on) return 0 ;; *) return 1 ;; esac; }

# The URL of an object, path style or virtual-hosted as the server is configured.
s3_url() {
  local key=$1 endpoint=${SPOKE_S3_ENDPOINT%/}
  if truthy "${SPOKE_S3_USE_PATH_STYLE:-false}" || truthy "${SPOKE_S3_FORCE_PATH_STYLE:-false}"; then
    echo "$endpoint/$SPOKE_S3_BUCKET/$key"
  else
    local scheme=${endpoint%%://*} host=${endpoint#*://}
    echo "$scheme://$SPOKE_S3_BUCKET.$host/$key"
  fi
}

# curl signs the request; S3 wants the payload's SHA-256 in x-amz-content-sha256 as well.
s3_curl() {
  local payload_sha256=$1
  shift
  curl --silent --show-error --fail --max-time "${SPOKE_BACKUP_S3_TIMEOUT:-120}" \
    --aws-sigv4 "aws:amz:${SPOKE_S3_REGION:-us-east-1}:s3" \
    --user "$SPOKE_S3_ACCESS_KEY:$SPOKE_S3_SECRET_KEY" \
    -H "x-amz-content-sha256: $payload_sha256" "$@"
}

export EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

s3_get() { # key destination-file
  s3_curl "$EMPTY_SHA256" -o "$2" "$(s3_url "$1")"
}

s3_put() { # key source-file
  local sum
  sum=$(sha256sum "$2" | cut -d' ' -f1)
  s3_curl "$sum" -X PUT -H "Content-Type: application/octet-stream" --data-binary "@$2" \
    -o /dev/null "$(s3_url "$1")"
}

# The SHA-256 a content-addressed key names ("proto-files/sha256/ab/cdef..." -> "abcdef...").
key_sha256() {
  local key=$1
  [[ $key =~ ^proto-files/sha256/([0-9a-f]{2})/([0-9a-f]{62})$ ]] || return 1
  echo "${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
}

# The object keys a custom-format dump's version_files rows name, one per line, each once.
dump_object_keys() {
  pg_restore --data-only --table=version_files -f - "$1" | awk '
    /^COPY .*version_files \(/ {
      cols = $0; sub(/^[^(]*\(/, "", cols); sub(/\).*$/, "", cols)
      n = split(cols, names, /, */)
      for (i = 1; i <= n; i++) if (names[i] == "object_key") col = i
      copying = 1; next
    }
    copying && $0 == "\\." { copying = 0; next }
    copying { split($0, f, "\t"); print f[col] }
  ' | sort -u
}

# Copies one object of the bucket to $BACKUP_OBJECTS/<key>, checked against its key's SHA-256.
fetch_object() {
  local key=$1 sum file=$BACKUP_OBJECTS/$1
  sum=$(key_sha256 "$key") || die "unexpected object key in the dump: $key"
  mkdir -p "$(dirname "$file")"
  s3_get "$key" "$file" || die "cannot read s3://$SPOKE_S3_BUCKET/$key"
  [ "$(sha256sum < "$file" | cut -d' ' -f1)" = "$sum" ] ||
    die "s3://$SPOKE_S3_BUCKET/$key does not hash to its key: the bucket is damaged"
}

# Uploads $BACKUP_OBJECTS/<key> to the bucket under <key>.
store_object() {
  s3_put "$1" "$BACKUP_OBJECTS/$1" || die "cannot write s3://$SPOKE_S3_BUCKET/$1"
}

# Runs FUNCTION KEY for every key on standard input, SPOKE_BACKUP_PARALLEL (8) at a time; fails
# if any failed.
for_each_object() {
  export prog BACKUP_OBJECTS SPOKE_S3_ENDPOINT SPOKE_S3_BUCKET SPOKE_S3_REGION SPOKE_S3_ACCESS_KEY \
    SPOKE_S3_SECRET_KEY SPOKE_S3_USE_PATH_STYLE SPOKE_S3_FORCE_PATH_STYLE SPOKE_BACKUP_S3_TIMEOUT
  export -f die say truthy s3_url s3_curl s3_get s3_put key_sha256 fetch_object store_object
  # shellcheck disable=SC2016  # expanded by the inner shell
  xargs -r -d '\n' -P "${SPOKE_BACKUP_PARALLEL:-8}" -n 1 bash -c '"$0" "$1"' "$1"
}
