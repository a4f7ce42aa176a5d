#!/usr/bin/env bash
# Starts the real backing servers for tests on 127.0.0.1, without systemd.
#
#   services.sh up DIR [--with-standby] [--with-s3] [--with-redis] [--with-sentinel]
#       PostgreSQL 15 primary (+ a streaming hot standby) (+ an S3 server, @20minutes/s3rver,
#       which checks SigV4 signatures) (+ a Redis server without persistence) (+ a Redis replica
#       and three Sentinels monitoring it as `spoke`, quorum 2; implies --with-redis).
#       Writes DIR/env (sourceable) and DIR/*.pid; each Redis process NAME (redis, redis-replica,
#       redis-sentinel-1..3) also has DIR/NAME.port and DIR/NAME.cmdline (its argv, NUL-separated)
#       for tests/harness/redis_servers.py.
#   services.sh down DIR
#       Stops everything `up` started and removes DIR.
#   services.sh run [--with-standby] [--with-s3] [--with-redis] [--with-sentinel] -- CMD ARGS...
#       up in a fresh temp dir, runs CMD with DIR/env exported, always tears down,
#       exits with CMD's status. Prefer this: the servers stay children of this script
#       and get reaped. After a separate `up`, they are orphans, and PID 1 on these
#       machines does not reap orphans, so they linger as zombies once stopped.
#
# DIR/env exports: SERVICES_DIR, PGHOST, PGPORT, PGUSER, PGDATABASE, PG_PRIMARY_URL,
#   PG_MULTI_URL (target_session_attrs=read-write), and with --with-standby PG_STANDBY_PORT,
#   PG_STANDBY_URL; with --with-s3 S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION;
#   with --with-redis REDIS_PORT, REDIS_URL; with --with-sentinel also REDIS_REPLICA_PORT,
#   REDIS_SENTINEL_PORTS (comma-separated), REDIS_SENTINEL_URL, REDIS_MASTER_NAME.
# Knobs: PG_BIN (default /usr/lib/postgresql/15/bin), SERVICES_TIMEOUT (seconds per wait, default 30).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO_ROOT
readonly PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
readonly TIMEOUT=${SERVICES_TIMEOUT:-30}
# 5.x needs node >= 24; 4.0.4 is the newest for the node 20 on our machines (it needs >= 20).
readonly S3RVER_VERSION=4.0.4
readonly S3RVER_PREFIX=$REPO_ROOT/.cache/npm/s3rver-$S3RVER_VERSION
readonly BUCKET_NAME=spoke-test
# s3rver's fixed built-in credentials.
readonly ACCESS_KEY=S3RVER SECRET_KEY=S3RVER
readonly SENTINEL_MASTER=spoke

# seconds since $1 (an $EPOCHREALTIME value), for the timing lines.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
# shellcheck source=tests/harness/npm_install.sh
. "$REPO_ROOT/tests/harness/npm_install.sh"

# initdb and pg_basebackup refuse to run as root. setpriv execs in place (runuser/su fork and
# do not forward signals), so `"${AS_PG[@]}" postgres ... &` leaves $! = the postmaster's PID.
AS_PG=()
if [ "$(id -u)" = 0 ]; then AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi

# kill -0 succeeds on a zombie, so read the state from /proc instead. The state follows the
# command name in parentheses, which may itself hold spaces.
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# wait_until DESC PIDFILE CMD...: polls CMD every 50 ms until it succeeds; fails after TIMEOUT
# seconds, or at once when the server in PIDFILE has died (e.g. its port was taken meanwhile).
wait_until() {
  local desc=$1 pid
  pid=$(<"$2")
  shift 2
  local deadline=$((${EPOCHREALTIME/./} + TIMEOUT * 1000000))
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || die "server died while waiting for $desc"
    [ "${EPOCHREALTIME/./}" -lt "$deadline" ] || die "timed out after ${TIMEOUT}s waiting for $desc"
    sleep 0.05
  done
}

# Ports 32768-60999 are the kernel's ephemeral range: a client polling a closed port there
# can connect to itself, so services get random free ports below it.
# pick_port sets PORT (a global, not $(...) output, so PICKED_PORTS survives).
PICKED_PORTS=" "
pick_port() {
  local tries
  for ((tries = 0; tries < 200; tries++)); do
    PORT=$((20000 + RANDOM % 12700))
    [[ $PICKED_PORTS == *" $PORT "* ]] && continue
    ss -Htan "( sport = :$PORT or dport = :$PORT )" | grep -q . && continue
    PICKED_PORTS+="$PORT "
    return 0
  done
  die "no free port found below 32768"
}

# Single-quoted values keep the file readable by non-shell parsers; none of ours hold a quote.
env_line() {
  [[ $2 != *"'"* ]] || die "env value for $1 contains a quote"
  printf "export %s='%s'\n" "$1" "$2" >>"$DIR/env"
}

pg_url() { echo "postgresql://postgres@127.0.0.1:$1/postgres"; }

# psql_at PORT SQL: one unaligned value, bounded by connect_timeout and a hard timeout.
psql_at() {
  timeout 10 psql "$(pg_url "$1")?connect_timeout=5" -X -Atq -v ON_ERROR_STOP=1 -c "$2"
}

# start_pg NAME PORT: the data dir is DIR/NAME; stdout/stderr go to DIR/NAME.log.
start_pg() {
  local name=$1 port=$2
  "${AS_PG[@]}" "$PG_BIN/postgres" -D "$DIR/$name" -p "$port" -k "$DIR/sock" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c shared_buffers=32MB -c max_connections=100 \
    >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  wait_until "$name on :$port" "$DIR/$name.pid" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -t 2
}

start_primary() {
  local port=$1
  [ -x "$PG_BIN/postgres" ] || die "no $PG_BIN/postgres (apt-get install postgresql-15)"
  mkdir -m 700 "$DIR/pg-primary" "$DIR/sock"
  if [ ${#AS_PG[@]} -gt 0 ]; then chown postgres: "$DIR/pg-primary" "$DIR/sock"; fi
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$DIR/pg-primary" -U postgres -A trust -E UTF8 \
    --no-locale --no-sync >"$DIR/initdb.log" 2>&1 || die "initdb failed, see $DIR/initdb.log"
  start_pg pg-primary "$port"
  env_line PGHOST 127.0.0.1
  env_line PGPORT "$port"
  env_line PGUSER postgres
  env_line PGDATABASE postgres
  env_line PG_PRIMARY_URL "$(pg_url "$port")"
}

standby_streaming() {
  [ "$(psql_at "$1" "select count(*) from pg_stat_replication where state = 'streaming'")" = 1 ]
}

start_standby() {
  local primary_port=$1 port=$2
  mkdir -m 700 "$DIR/pg-standby"
  if [ ${#AS_PG[@]} -gt 0 ]; then chown postgres: "$DIR/pg-standby"; fi
  # -R writes standby.signal and primary_conninfo, so the copy starts as a streaming standby.
  timeout "$TIMEOUT" "${AS_PG[@]}" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" \
    -U postgres -D "$DIR/pg-standby" -R -X stream -c fast --no-sync >"$DIR/basebackup.log" 2>&1 ||
    die "pg_basebackup failed, see $DIR/basebackup.log"
  start_pg pg-standby "$port"
  wait_until "standby streaming in pg_stat_replication" "$DIR/pg-standby.pid" standby_streaming "$primary_port"
  env_line PG_STANDBY_PORT "$port"
  env_line PG_STANDBY_URL "$(pg_url "$port")"
}

install_s3rver() {
  npm_install_once "$S3RVER_PREFIX" @20minutes/s3rver "$S3RVER_VERSION" \
    node_modules/@20minutes/s3rver/lib/cli.js "$TIMEOUT"
}

start_s3() {
  local port=$1
  install_s3rver
  local cli=$S3RVER_PREFIX/node_modules/@20minutes/s3rver/lib/cli.js
  # The 4.0.4 package ships without its bin/ script, so drive lib/cli.js directly.
  node -e 'require(process.argv[1]).parseAsync(process.argv.slice(2), { from: "user" })' -- \
    "$cli" -d "$DIR/s3" -a 127.0.0.1 -p "$port" --configure-bucket "$BUCKET_NAME" \
    --no-vhost-buckets -s >"$DIR/s3.log" 2>&1 </dev/null &
  echo $! >"$DIR/s3.pid"
  # Unsigned requests are accepted, so a plain GET of the bucket listing proves readiness.
  wait_until "s3rver on :$port" "$DIR/s3.pid" curl -fs --max-time 2 -o /dev/null \
    "http://127.0.0.1:$port/$BUCKET_NAME?list-type=2"
  env_line S3_ENDPOINT "http://127.0.0.1:$port"
  env_line S3_BUCKET "$BUCKET_NAME"
  env_line S3_ACCESS_KEY "$ACCESS_KEY"
  env_line S3_SECRET_KEY "$SECRET_KEY"
  env_line S3_REGION us-east-1
}

# redis_cli PORT ARGS...: bounded, since a server stopped with SIGSTOP never answers.
redis_cli() {
  local port=$1
  shift
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

redis_ping() { [ "$(redis_cli "$1" ping)" = PONG ]; }

# start_redis_proc NAME PORT ARGV...: runs ARGV in the background as DIR/NAME (.pid, .log) and
# waits for PONG. DIR/NAME.port and DIR/NAME.cmdline let redis_servers.py find the server by
# its port and start it again the same way (redis-server rewrites its /proc/PID/cmdline).
start_redis_proc() {
  local name=$1 port=$2
  shift 2
  echo "$port" >"$DIR/$name.port"
  printf '%s\0' "$@" >"$DIR/$name.cmdline"
  "$@" >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  wait_until "$name on :$port" "$DIR/$name.pid" redis_ping "$port"
}

# start_redis_server NAME PORT [ARGS...]: no persistence, but a replica still writes the RDB its
# master sends to DIR/NAME.rdb. Replicas attach at once (the diskless sync waits 5 s by default).
start_redis_server() {
  local name=$1 port=$2
  shift 2
  start_redis_proc "$name" "$port" "$(command -v redis-server)" --bind 127.0.0.1 --port "$port" \
    --save '' --appendonly no --daemonize no --dir "$DIR" --dbfilename "$name.rdb" \
    --repl-diskless-sync-delay 0 "$@"
}

start_redis() {
  local port=$1
  command -v redis-server >/dev/null || die "no redis-server (apt-get install redis-server)"
  command -v redis-cli >/dev/null || die "no redis-cli (apt-get install redis-tools)"
  start_redis_server redis "$port"
  env_line REDIS_PORT "$port"
  env_line REDIS_URL "redis://127.0.0.1:$port/0"
}

replica_linked() {
  local info
  info=$(redis_cli "$1" info replication) || return 1
  [[ $info == *master_link_status:up* ]]
}

start_redis_replica() {
  local master_port=$1 port=$2
  start_redis_server redis-replica "$port" --replicaof 127.0.0.1 "$master_port"
  wait_until "redis-replica linked to :$master_port" "$DIR/redis-replica.pid" replica_linked "$port"
  env_line REDIS_REPLICA_PORT "$port"
}

# A sentinel is ready once it counts all three sentinels as usable voters (they find each other
# through hello messages on the master, every 2 s) and knows the replica, which can take over.
sentinel_ready() {
  local out
  out=$(redis_cli "$1" sentinel ckquorum "$SENTINEL_MASTER") || return 1
  [[ $out == "OK 3 usable"* ]] || return 1
  out=$(redis_cli "$1" sentinel master "$SENTINEL_MASTER") || return 1
  [ "$(awk 'prev == "num-slaves" { print; exit } { prev = $0 }' <<<"$out")" = 1 ]
}

# start_sentinels MASTER_PORT PORT...: one redis-sentinel per PORT, as DIR/redis-sentinel-N with
# its own DIR/redis-sentinel-N.conf (a sentinel rewrites its config file with what it learns).
start_sentinels() {
  local master_port=$1 port n=0 name addrs=()
  shift
  command -v redis-sentinel >/dev/null || die "no redis-sentinel (apt-get install redis-sentinel)"
  for port in "$@"; do
    name=redis-sentinel-$((++n))
    cat >"$DIR/$name.conf" <<EOF
port $port
bind 127.0.0.1
daemonize no
logfile ""
dir $DIR
sentinel monitor $SENTINEL_MASTER 127.0.0.1 $master_port 2
sentinel down-after-milliseconds $SENTINEL_MASTER 1000
sentinel failover-timeout $SENTINEL_MASTER 5000
sentinel parallel-syncs $SENTINEL_MASTER 1
EOF
    start_redis_proc "$name" "$port" "$(command -v redis-sentinel)" "$DIR/$name.conf"
    addrs+=("127.0.0.1:$port")
  done
  n=0
  for port in "$@"; do
    name=redis-sentinel-$((++n))
    wait_until "$name with quorum" "$DIR/$name.pid" sentinel_ready "$port"
  done
  local IFS=,
  env_line REDIS_SENTINEL_PORTS "$*"
  env_line REDIS_SENTINEL_URL "redis-sentinel://${addrs[*]}/$SENTINEL_MASTER"
  env_line REDIS_MASTER_NAME "$SENTINEL_MASTER"
}

cmd_up() {
  DIR=${1:?usage: services.sh up DIR [--with-standby] [--with-s3] [--with-redis] [--with-sentinel]}
  shift
  local with_standby=0 with_s3=0 with_redis=0 with_sentinel=0
  while [ $# -gt 0 ]; do
    case $1 in
      --with-standby) with_standby=1 ;;
      --with-s3) with_s3=1 ;;
      --with-redis) with_redis=1 ;;
      --with-sentinel) with_redis=1 with_sentinel=1 ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
  chmod 755 "$DIR" # the postgres user must reach its data dirs inside
  trap 'fail_teardown "$DIR"' EXIT
  local t0=$EPOCHREALTIME t
  pick_port
  local primary_port=$PORT
  : >"$DIR/env"
  env_line SERVICES_DIR "$DIR"
  t=$EPOCHREALTIME
  start_primary "$primary_port"
  log "postgres primary on :$primary_port in $(since "$t") s"
  local multi_url
  if [ $with_standby = 1 ]; then
    pick_port
    local standby_port=$PORT
    t=$EPOCHREALTIME
    start_standby "$primary_port" "$standby_port"
    log "postgres standby on :$standby_port streaming in $(since "$t") s"
    # The standby is listed first so that reaching the primary proves target_session_attrs works.
    multi_url="postgresql://postgres@127.0.0.1:$standby_port,127.0.0.1:$primary_port/postgres"
  else
    multi_url=$(pg_url "$primary_port")
  fi
  env_line PG_MULTI_URL "$multi_url?target_session_attrs=read-write"
  if [ $with_s3 = 1 ]; then
    pick_port
    t=$EPOCHREALTIME
    start_s3 "$PORT"
    log "s3rver on :$PORT in $(since "$t") s"
  fi
  if [ $with_redis = 1 ]; then
    pick_port
    local redis_port=$PORT
    t=$EPOCHREALTIME
    start_redis "$redis_port"
    log "redis on :$redis_port in $(since "$t") s"
  fi
  if [ $with_sentinel = 1 ]; then
    pick_port
    t=$EPOCHREALTIME
    start_redis_replica "$redis_port" "$PORT"
    log "redis replica on :$PORT linked in $(since "$t") s"
    local sentinel_ports=() i
    for i in 1 2 3; do
      pick_port
      sentinel_ports+=("$PORT")
    done
    t=$EPOCHREALTIME
    start_sentinels "$redis_port" "${sentinel_ports[@]}"
    log "redis sentinels on :${sentinel_ports[*]} with quorum in $(since "$t") s"
  fi
  trap - EXIT
  log "up in $(since "$t0") s; env in $DIR/env"
}

# stop_pid PIDFILE SIGNAL: signal, wait up to 10 s, then SIGKILL; reaps the process when it
# is our child (run mode).
stop_pid() {
  local file=$1 sig=$2 pid i
  [ -f "$file" ] || return 0
  pid=$(<"$file")
  if alive "$pid"; then
    # Re-sent every second: a server caught before it installs its handlers still has the
    # SIG_IGN it inherited as a background job, and drops the first SIGINT.
    for ((i = 0; i < 200; i++)); do
      if ((i % 20 == 0)); then kill -"$sig" "$pid" 2>/dev/null || true; fi
      alive "$pid" || break
      sleep 0.05
    done
    if alive "$pid"; then
      log "pid $pid ignored SIG$sig for 10 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        alive "$pid" || break
        sleep 0.05
      done
    fi
  fi
  wait "$pid" 2>/dev/null || true
  if alive "$pid"; then log "pid $pid is still running"; fi
  rm -f "$file"
}

# stop_redis PIDFILE: a server frozen by redis_servers.py pause() holds SIGTERM until SIGCONT.
stop_redis() {
  local pid
  if [ -f "$1" ]; then
    pid=$(<"$1")
    if alive "$pid"; then kill -CONT "$pid" 2>/dev/null || true; fi
  fi
  stop_pid "$1" TERM
}

stop_all() {
  local dir=$1 name
  # The sentinels first, so that none starts a failover while the servers go.
  for name in redis-sentinel-1 redis-sentinel-2 redis-sentinel-3 redis-replica redis; do
    stop_redis "$dir/$name.pid"
  done
  stop_pid "$dir/s3.pid" TERM
  # SIGINT is PostgreSQL's "fast" shutdown; the standby goes first so it does not log a lost primary.
  stop_pid "$dir/pg-standby.pid" INT
  stop_pid "$dir/pg-primary.pid" INT
}

# The logs die with DIR, so show their tails first.
fail_teardown() {
  local dir=$1 f
  log "up failed, tearing down"
  for f in "$dir"/*.log; do
    [ -s "$f" ] || continue
    log "--- tail of ${f##*/}"
    tail -n 15 "$f" >&2
  done
  stop_all "$dir"
  rm -rf "$dir"
}

cmd_down() {
  local dir=${1:?usage: services.sh down DIR}
  [ -d "$dir" ] || return 0
  [ -f "$dir/env" ] || die "$dir has no env file; not a services dir, not removing it"
  local t=$EPOCHREALTIME
  stop_all "$dir"
  rm -rf "$dir"
  log "down in $(since "$t") s"
}

cmd_run() {
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    opts+=("$1")
    shift
  done
  [ "${1:-}" = -- ] || die "usage: services.sh run [opts] -- CMD..."
  shift
  [ $# -gt 0 ] || die "usage: services.sh run [opts] -- CMD..."
  RUN_DIR=$(mktemp -d /tmp/spoke-services.XXXXXX)
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cmd_up "$RUN_DIR" "${opts[@]}" # tears itself down on failure
  trap 'cmd_down "$RUN_DIR"' EXIT
  # CMD runs in the background so that a signal to this script runs its trap at once (bash
  # defers traps until a foreground child exits); the trap passes the signal on as SIGTERM.
  # A background job's stdin would be /dev/null, so hand it ours explicitly.
  exec 3<&0
  (
    # shellcheck source=/dev/null
    . "$RUN_DIR/env"
    exec "$@" <&3 3<&-
  ) &
  local child=$! rc=0
  trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
  # wait also returns when a trap runs; go on waiting until the child itself has exited.
  while :; do
    rc=0
    wait "$child" || rc=$?
    [ -d "/proc/$child" ] || break
  done
  exit $rc
}

case ${1:-} in
  up)
    shift
    cmd_up "$@"
    ;;
  down)
    shift
    cmd_down "$@"
    ;;
  run)
    shift
    cmd_run "$@"
    ;;
  *)
    sed -n '2,24p' "$0" >&2
    exit 2
    ;;
esac
