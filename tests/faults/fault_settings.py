"""How the fault tests configure spoke-server for the postgres storage type, and the timing knobs
the tests' bounds are stated in."""

from backing_services import database_url

# Timing knobs every test file configures its servers with; the bounds the tests assert are
# stated in terms of these.
PG_TIMEOUT_S = 2.0
S3_TIMEOUT_S = 1.0
REQUEST_TIMEOUT_S = 5.0
BREAKER_OPEN_S = 3.0


def seconds(s):
    return f"{int(s * 1000)}ms"


def postgres_env(services, database, *, primary_url=None, replica=True, **overrides):
    """Environment for a spoke-server on the postgres storage type, on `database`.
    primary_url defaults to PG_MULTI_URL (both hosts, target_session_attrs=read-write)."""
    env = {
        "SPOKE_STORAGE_TYPE": "postgres",
        "SPOKE_POSTGRES_URL": database_url(primary_url or services.multi_url, database),
        "SPOKE_POSTGRES_MAX_CONNS": "8",
        "SPOKE_POSTGRES_MIN_CONNS": "2",
        "SPOKE_POSTGRES_TIMEOUT": seconds(PG_TIMEOUT_S),
        "SPOKE_POSTGRES_REPLICA_MAX_LAG": "5s",
        "SPOKE_S3_ENDPOINT": services.s3_endpoint,
        "SPOKE_S3_REGION": services.s3_region,
        "SPOKE_S3_BUCKET": services.s3_bucket,
        "SPOKE_S3_ACCESS_KEY": services.s3_access_key,
        "SPOKE_S3_SECRET_KEY": services.s3_secret_key,
        "SPOKE_S3_USE_PATH_STYLE": "true",
        "SPOKE_S3_TIMEOUT": seconds(S3_TIMEOUT_S),
        "SPOKE_BREAKER_OPEN_DURATION": seconds(BREAKER_OPEN_S),
        "SPOKE_REQUEST_TIMEOUT": seconds(REQUEST_TIMEOUT_S),
        "SPOKE_SHUTDOWN_TIMEOUT": "5s",
        "SPOKE_THREADS": "2",
        "SPOKE_WORKER_THREADS": "2",
    }
    if replica:
        env["SPOKE_POSTGRES_REPLICA_URLS"] = database_url(services.standby_url, database)
    env.update({k: str(v) for k, v in overrides.items()})
    return env
