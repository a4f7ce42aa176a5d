"""The postgres storage type's own promises: start-up checks with clear errors (S3 credentials,
the bucket, a schema newer than the binary), and that a version acknowledged through one instance
is readable through another at once, whatever the replica has replayed."""

import os

import pytest

from harness.spoke_process import _psql, ensure_database, free_port, run_once, url_for_database

pytestmark = pytest.mark.postgres_only("start-up checks and replica routing of the postgres backend")

PROTO = 'syntax = "proto3";\npackage p{n};\nmessage M{n} {{ string id = 1; }}\n'


def start_failure(spawn_spoke, **overrides):
    """Runs a server that must refuse to start: (exit code, everything it printed)."""
    p = spawn_spoke(start=False)
    ensure_database(p.database)
    env = p.env()
    env.update({"SPOKE_PORT": str(free_port()), "SPOKE_HEALTH_PORT": str(free_port())})
    env.update(overrides)
    code, out, err = run_once(p.binary, env, timeout_s=60)
    return code, out + err


def test_refused_s3_credentials_stop_start_up_with_a_clear_error(spawn_spoke):
    secret = "definitely-not-the-secret-0123456789"
    code, text = start_failure(spawn_spoke, SPOKE_S3_SECRET_KEY=secret)
    assert code == 1, text
    assert "S3 bucket" in text and ("credentials" in text or "SignatureDoesNotMatch" in text), text
    assert secret not in text


def test_missing_bucket_stops_start_up_naming_it(spawn_spoke):
    code, text = start_failure(spawn_spoke, SPOKE_S3_BUCKET="no-such-bucket-here")
    assert code == 1, text
    assert "no-such-bucket-here" in text and "does not exist" in text, text


def test_a_missing_database_is_refused_at_once(spawn_spoke):
    p = spawn_spoke(start=False)
    env = p.env()
    env.update({"SPOKE_PORT": str(free_port()), "SPOKE_HEALTH_PORT": str(free_port()),
                "SPOKE_POSTGRES_URL": url_for_database(os.environ["PG_PRIMARY_URL"], "spoke_nope")})
    code, out, err = run_once(p.binary, env, timeout_s=20)  # not the 30 s start-up retry window
    assert code == 1, out + err
    assert "spoke_nope" in out + err and "does not exist" in out + err, out + err


def test_schema_newer_than_the_binary_is_refused(spawn_spoke):
    p = spawn_spoke()  # applies the migrations
    p.stop()
    db_url = url_for_database(os.environ["PG_PRIMARY_URL"], p.database)
    _psql(db_url, "INSERT INTO schema_migrations (version) VALUES (999)")
    try:
        code, out, err = run_once(p.binary, p.env(), timeout_s=60)
        assert code == 1, out + err
        assert "newer than this spoke-server knows" in out + err, out + err
    finally:
        _psql(db_url, "DELETE FROM schema_migrations WHERE version = 999")


def test_a_version_acknowledged_by_one_instance_is_readable_through_another_at_once(spawn_spoke):
    a = spawn_spoke(name="a")
    b = spawn_spoke(name="b", root=a.root)  # same database
    ca, cb = a.client(), b.client()
    module = ca.new_module("ryw")
    for n in range(40):
        version = f"1.0.{n}"
        r = ca.push(module, version, {f"p{n}.proto": PROTO.format(n=n)})
        assert r.status_code == 201, r.text
        got = cb.get(f"/modules/{module}/versions/{version}")
        assert got.status_code == 200, (version, got.status_code, got.text)
        assert got.json()["digest"] == r.json()["digest"]
    # The module itself, created through a, is found through b too (create, then push via b).
    other = ca.new_module("ryw-other")
    r = cb.push(other, "1.0.0", {"o.proto": PROTO.format(n="o")})
    assert r.status_code == 201, r.text
