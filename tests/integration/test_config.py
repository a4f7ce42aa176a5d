"""Start-up validation: a bad value exits with code 2 and one stderr line naming the variable."""

import socket

import pytest

from harness.spoke_process import HOST, clean_environment, free_port, run_once


def base_env(tmp_path):
    env = clean_environment()
    env.update({
        "SPOKE_HOST": HOST,
        "SPOKE_PORT": str(free_port()),
        "SPOKE_HEALTH_PORT": str(free_port()),
        "SPOKE_FILESYSTEM_ROOT": str(tmp_path / "data"),
        "SPOKE_THREADS": "1",
        "SPOKE_WORKER_THREADS": "1",
        "SPOKE_SHUTDOWN_TIMEOUT": "2s",
        "SPOKE_LOG_LEVEL": "info",
    })
    return env


BAD_VALUES = [
    ("SPOKE_PORT", "abc"),
    ("SPOKE_PORT", "70000"),
    ("SPOKE_PORT", "-1"),
    ("SPOKE_HEALTH_PORT", "8o8o"),
    ("SPOKE_THREADS", "0"),
    ("SPOKE_THREADS", "many"),
    ("SPOKE_WORKER_THREADS", "-2"),
    ("SPOKE_SHUTDOWN_TIMEOUT", "soon"),
    ("SPOKE_SHUTDOWN_TIMEOUT", "10parsecs"),
    ("SPOKE_MAX_BODY", "lots"),
    ("SPOKE_MAX_BODY", "-1MiB"),
    ("SPOKE_LOG_LEVEL", "chatty"),
    ("SPOKE_STORAGE_TYPE", "floppy"),
    ("SPOKE_HOST", "not an address"),
]


@pytest.mark.parametrize("var,val", BAD_VALUES, ids=[f"{k}={v}" for k, v in BAD_VALUES])
def test_bad_value_exits_2_naming_the_variable(spoke_bin, tmp_path, var, val):
    env = base_env(tmp_path)
    env[var] = val
    rc, out, err = run_once(spoke_bin, env)
    assert rc == 2, f"rc={rc}\nstderr:\n{err}\nstdout:\n{out}"
    lines = [line for line in err.splitlines() if line.strip()]
    naming = [line for line in lines if var in line]
    assert len(naming) == 1, f"expected one stderr line naming {var}:\n{err}"
    assert val in naming[0] or var in naming[0]
    _assert_port_free(int(env["SPOKE_PORT"]) if env["SPOKE_PORT"].isdigit() else None)


def test_equal_api_and_health_ports_exit_2(spoke_bin, tmp_path):
    env = base_env(tmp_path)
    env["SPOKE_HEALTH_PORT"] = env["SPOKE_PORT"]
    rc, out, err = run_once(spoke_bin, env)
    assert rc == 2, f"rc={rc}\n{err}"
    assert "SPOKE_HEALTH_PORT" in err, err


def test_every_bad_value_is_reported_at_once(spoke_bin, tmp_path):
    env = base_env(tmp_path)
    env.update({"SPOKE_PORT": "abc", "SPOKE_LOG_LEVEL": "chatty", "SPOKE_THREADS": "zero"})
    rc, out, err = run_once(spoke_bin, env)
    assert rc == 2, f"rc={rc}\n{err}"
    lines = [line for line in err.splitlines() if line.strip()]
    for var in ["SPOKE_PORT", "SPOKE_LOG_LEVEL", "SPOKE_THREADS"]:
        assert len([line for line in lines if var in line]) == 1, f"{var} not reported once:\n{err}"


def test_good_units_are_accepted(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_SHUTDOWN_TIMEOUT": "1500ms", "SPOKE_MAX_BODY": "2MiB",
                         "SPOKE_LOG_LEVEL": "warn", "SPOKE_THREADS": "1"})
    assert p.running()


def test_max_body_below_max_file_size_exits_2(spoke_bin, tmp_path):
    env = base_env(tmp_path)
    env["SPOKE_MAX_BODY"] = "512KiB"
    rc, out, err = run_once(spoke_bin, env)
    assert rc == 2, f"rc={rc}\n{err}"
    assert "SPOKE_MAX_BODY" in err or "SPOKE_MAX_FILE_SIZE" in err, err


def _assert_port_free(port):
    if port is None or not (0 < port < 65536):
        return
    s = socket.socket()
    try:
        s.bind((HOST, port))
    finally:
        s.close()


# An environment file written for the original Spoke (its deployment guide's variables, Go
# durations) starts this server; a misspelt name is reported with the name it meant.
ORIGINAL_SPOKE_ENV = {
    "SPOKE_READ_TIMEOUT": "1m30s",
    "SPOKE_SHUTDOWN_TIMEOUT": "2.5s",
    "SPOKE_S3_FORCE_PATH_STYLE": "true",
    "SPOKE_REDIS_MAX_RETRIES": "3",
    "SPOKE_REDIS_POOL_SIZE": "10",
    "SPOKE_OTEL_INSECURE": "true",
    "SPOKE_OTEL_SERVICE_VERSION": "1.0.0",
    "SPOKE_CACHE_ENABLD": "false",
    "SPOKE_WIDGET_COUNT": "4",
}


def test_an_original_spoke_environment_starts_and_unknown_names_are_reported(spawn_spoke):
    p = spawn_spoke(env=dict(ORIGINAL_SPOKE_ENV, SPOKE_THREADS="1"))
    assert p.running()
    records = p.log_records()
    unknown = {r["name"]: r.get("did_you_mean") for r in records
               if r.get("msg") == "unknown configuration variable ignored"}
    assert unknown == {"SPOKE_CACHE_ENABLD": "SPOKE_CACHE_ENABLED", "SPOKE_WIDGET_COUNT": None}, \
        p.describe_logs()
    inert = {r["name"]: r["reason"] for r in records
             if r.get("msg") == "configuration variable has no meaning here"}
    assert set(inert) == {"SPOKE_REDIS_MAX_RETRIES", "SPOKE_REDIS_POOL_SIZE"}, p.describe_logs()
    assert "SPOKE_REDIS_TIMEOUT" in inert["SPOKE_REDIS_MAX_RETRIES"]
    config = [r for r in records if r.get("msg") == "configuration"]
    assert config and config[0]["shutdown_timeout_ms"] == 2500, p.describe_logs()
    # Each is reported once, not per loop or per reload.
    assert len([r for r in records if r.get("name") == "SPOKE_CACHE_ENABLD"]) == 1


def test_storage_type_hybrid_is_postgres(spoke_bin, tmp_path):
    # Without SPOKE_POSTGRES_URL the postgres type refuses to start: so does hybrid, naming it.
    env = base_env(tmp_path)
    env["SPOKE_STORAGE_TYPE"] = "hybrid"
    rc, out, err = run_once(spoke_bin, env)
    assert rc == 2, f"rc={rc}\n{err}"
    assert "SPOKE_POSTGRES_URL: required when SPOKE_STORAGE_TYPE=postgres" in err, err
