#!/usr/bin/env bash
# Runs the backing-service tests with PostgreSQL (primary + standby) and S3 started around them.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec tests/harness/services.sh run --with-standby --with-s3 -- /usr/bin/python3 -m pytest tests/services "$@"
