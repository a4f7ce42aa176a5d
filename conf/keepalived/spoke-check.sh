#!/bin/sh
# keepalived's track script (conf/keepalived/keepalived.conf): exits 0 while this node's Spoke
# answers /health/ready with 200 (ready, or degraded: Redis down is not a reason to move the
# virtual IP), and 1 when it is draining, not ready, dead or silent past the timeout.
#   SPOKE_CHECK_URL      default http://127.0.0.1:9090/health/ready
#   SPOKE_CHECK_TIMEOUT  seconds, default 2 (below the vrrp_script's timeout)
url=${SPOKE_CHECK_URL:-http://127.0.0.1:9090/health/ready}
timeout=${SPOKE_CHECK_TIMEOUT:-2}
code=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time "$timeout" \
  --noproxy '*' "$url") || exit 1
[ "$code" = 200 ] || exit 1
exit 0
