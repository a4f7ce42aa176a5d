"""Checks that tests/harness/services.sh gives real, correctly wired backing servers.

Run through tests/backing/run.sh, which starts PostgreSQL (primary + hot standby) and the
SigV4-checking S3 server and exports their addresses into the environment.
"""

import os
import subprocess
import time
import uuid

import pytest

SIGV4 = "aws:amz:us-east-1:s3"
# curl's --aws-sigv4 does not add this header itself, and S3 servers require it.
UNSIGNED = "x-amz-content-sha256: UNSIGNED-PAYLOAD"


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run tests/backing/run.sh, not pytest directly")
    return value


def psql(url, sql):
    """Runs one statement with the psql CLI; returns the CompletedProcess."""
    return subprocess.run(
        ["psql", url, "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=20,
    )


def psql_value(url, sql):
    result = psql(url, sql)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def s3_request(method, key, secret, body_path=None, out_path=None):
    """Signed path-style request with curl; returns (http_status, response_body)."""
    url = f"{env('S3_ENDPOINT')}/{env('S3_BUCKET')}/{key}"
    cmd = ["curl", "-sS", "--max-time", "10", "-X", method, "--aws-sigv4", SIGV4,
           "--user", f"{env('S3_ACCESS_KEY')}:{secret}", "-H", UNSIGNED,
           "-w", "%{http_code}", "-o", out_path or "-"]
    if body_path:
        cmd += ["--data-binary", f"@{body_path}"]
    result = subprocess.run(cmd + [url], capture_output=True, timeout=20)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    return int(out[-3:]), out[:-3]


def test_standby_is_streaming_from_primary():
    primary = env("PG_PRIMARY_URL")
    assert psql_value(primary, "select state from pg_stat_replication") == "streaming"
    assert psql_value(env("PG_STANDBY_URL"), "select pg_is_in_recovery()") == "t"


def test_standby_replays_primary_writes():
    table = f"t_{uuid.uuid4().hex[:8]}"
    psql_value(env("PG_PRIMARY_URL"), f"create table {table} (x int); insert into {table} values (42)")
    deadline = time.monotonic() + 10
    while True:
        result = psql(env("PG_STANDBY_URL"), f"select x from {table}")
        if result.returncode == 0 and result.stdout.strip() == "42":
            break
        assert time.monotonic() < deadline, f"standby never saw the row: {result.stderr}"
        time.sleep(0.05)


def test_standby_rejects_writes():
    result = psql(env("PG_STANDBY_URL"), "create table must_fail (x int)")
    assert result.returncode != 0
    assert "read-only transaction" in result.stderr


def test_multi_host_url_picks_the_primary():
    url = env("PG_MULTI_URL")
    assert "target_session_attrs=read-write" in url
    # The standby comes first in the list, so only target_session_attrs can explain landing on the primary.
    assert url.index(env("PG_STANDBY_PORT")) < url.index(env("PGPORT"))
    assert psql_value(url, "select pg_is_in_recovery()") == "f"
    assert psql_value(url, "show port") == env("PGPORT")


def test_s3_signed_put_get_round_trip(tmp_path):
    key = f"roundtrip/{uuid.uuid4().hex}.bin"
    payload = os.urandom(4096)
    body = tmp_path / "body.bin"
    body.write_bytes(payload)
    status, text = s3_request("PUT", key, env("S3_SECRET_KEY"), body_path=body)
    assert status == 200, text
    status, got = s3_request("GET", key, env("S3_SECRET_KEY"))
    assert status == 200, got
    assert got == payload


def test_s3_rejects_wrong_secret(tmp_path):
    key = f"wrong-secret/{uuid.uuid4().hex}.txt"
    good = tmp_path / "good.txt"
    good.write_bytes(b"original")
    assert s3_request("PUT", key, env("S3_SECRET_KEY"), body_path=good)[0] == 200

    forged = tmp_path / "forged.txt"
    forged.write_bytes(b"overwritten")
    status, text = s3_request("PUT", key, env("S3_SECRET_KEY") + "-wrong", body_path=forged)
    assert status == 403, text
    assert b"SignatureDoesNotMatch" in text

    status, got = s3_request("GET", key, env("S3_SECRET_KEY"))
    assert (status, got) == (200, b"original")
