"""API tokens end to end: the /auth/tokens routes (shapes, every 400, revocation, expiry), what
scopes and module prefixes allow, the secret never stored nor logged in plain text, revocation
seen by a second instance within SPOKE_AUTH_CACHE_TTL, the `spoke-server token create` bootstrap
command, last_used_at, and SPOKE_AUTH_ANONYMOUS_READ=false."""

import base64
import datetime
import hashlib
import os
import re
import subprocess
import threading
import time

import pytest
import requests

from harness.spoke_api import RFC3339_MS, SpokeClient, assert_error, metric, proto, scrape_metrics, unique
from harness.spoke_process import SpokeProcess, create_token, url_for_database

TOKEN_ID_RE = re.compile(r"^tok_[0-9a-f]{16}$")
SECRET_RE = re.compile(r"^spoke_[A-Za-z0-9_-]{43}$")
CREATED_KEYS = {"id", "name", "scopes", "prefixes", "expires_at", "token"}
RECORD_KEYS = {"id", "name", "scopes", "prefixes", "expires_at", "created_at", "last_used_at", "revoked_at"}
REFUSED = "spoke_auth_refused_total"

# Every secret this file has seen: none may reach a log, /metrics or (as such) the storage.
SEEN_SECRETS = []


@pytest.fixture(scope="module")
def module_spoke(spoke_bin, tmp_path_factory):
    """The shared server of this file: last_used_at written every 200 ms; the failed-auth limiter
    raised so that the refusals this file provokes on purpose never throttle a later test."""
    workdir = tmp_path_factory.mktemp("srv_auth_tokens")
    p = SpokeProcess(spoke_bin, workdir, name="shared",
                     env={"SPOKE_AUTH_LAST_USED_INTERVAL": "200ms", "SPOKE_AUTH_FAILURE_LIMIT": "1000/m"})
    p.start()
    SEEN_SECRETS.append(p.admin_token)
    yield p
    problems = p.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# ---- helpers -------------------------------------------------------------------------------------

def parse_ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


def rfc3339_in(seconds):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def new_token(api, scopes=("read",), prefixes=None, expires_at=None, name=None):
    """Creates a token through the API; returns the 201 body (whose shape is checked)."""
    body = {"name": name or unique("tok"), "scopes": list(scopes)}
    if prefixes is not None:
        body["prefixes"] = list(prefixes)
    if expires_at is not None:
        body["expires_at"] = expires_at
    r = api.post("/auth/tokens", json=body)
    assert r.status_code == 201, (r.status_code, r.text)
    made = r.json()
    assert set(made) == CREATED_KEYS, made
    SEEN_SECRETS.append(made["token"])
    return made


def client(server, secret):
    return SpokeClient(server.url, token=secret)


def token_list(api):
    r = api.get("/auth/tokens")
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def record_of(api, token_id):
    found = [t for t in token_list(api) if t["id"] == token_id]
    assert len(found) == 1, (token_id, found)
    return found[0]


def secret_forms(secret):
    """The secret as sent, its part after the prefix, and the 32 random bytes it encodes."""
    body = secret[len("spoke_"):]
    raw = base64.urlsafe_b64decode(body + "=")
    return [secret.encode(), body.encode(), raw]


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def fresh_get(server, path, secret):
    """One request on a connection of its own (so the server's API loops all get their turn)."""
    return requests.get(server.url + path, timeout=10,
                        headers={"Authorization": f"Bearer {secret}", "Connection": "close"})


def wait_for_request_logged(server, request_id, timeout_s=5.0):
    """Waits until the access line of request_id reached stdout (the access log is buffered)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if request_id in server.stdout():
            return
        time.sleep(0.05)
    raise AssertionError(f"request {request_id} never reached the log")


def assert_unauthorized(r, word, secret=None):
    body = assert_error(r, 401, "UNAUTHORIZED")
    assert word in body["error"], body
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer "), r.headers
    if secret:
        assert secret not in r.text, r.text
        if secret.startswith("spoke_"):
            assert secret[6:] not in r.text, r.text
    return body


# ---- creating tokens -----------------------------------------------------------------------------

def test_create_returns_the_secret_once_with_the_documented_shape(module_spoke, api):
    name = unique("shape")
    r = api.post("/auth/tokens", json={"name": name, "scopes": ["write", "read"], "prefixes": ["zeta.", "alpha"]})
    assert r.status_code == 201, r.text
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.headers["Content-Type"].startswith("application/json")
    made = r.json()
    SEEN_SECRETS.append(made["token"])
    assert set(made) == CREATED_KEYS, made
    assert TOKEN_ID_RE.match(made["id"]), made
    assert SECRET_RE.match(made["token"]), made
    assert made["name"] == name
    assert sorted(made["scopes"]) == ["read", "write"]
    assert sorted(made["prefixes"]) == ["alpha", "zeta."]
    assert made["expires_at"] is None

    rec = record_of(api, made["id"])
    assert set(rec) == RECORD_KEYS, rec
    assert rec["name"] == name and sorted(rec["scopes"]) == ["read", "write"]
    assert RFC3339_MS.match(rec["created_at"]), rec
    assert rec["revoked_at"] is None and rec["last_used_at"] is None and rec["expires_at"] is None
    # Usable at once, within its limits.
    c = client(module_spoke, made["token"])
    assert c.create_module("alpha" + unique("x")).status_code == 201
    c.close()


def test_create_with_expiry_echoes_it(module_spoke, api):
    at = rfc3339_in(3600)
    made = new_token(api, scopes=["admin"], expires_at=at)
    assert parse_ts(made["expires_at"]) == parse_ts(at)
    assert made["prefixes"] == [] and made["scopes"] == ["admin"]
    assert record_of(api, made["id"])["expires_at"] == made["expires_at"]
    c = client(module_spoke, made["token"])
    assert c.get("/auth/tokens").status_code == 200


def test_each_token_gets_its_own_id_and_secret(api):
    made = [new_token(api) for _ in range(3)]
    assert len({m["id"] for m in made}) == 3
    assert len({m["token"] for m in made}) == 3


def test_limits_are_inclusive(api):
    # 128 bytes of name (multi-byte characters count as bytes), 32 prefixes of up to 128 characters.
    made = new_token(api, name="é" * 64, prefixes=[f"p{i:02d}" + "x" * 125 for i in range(32)])
    assert made["name"] == "é" * 64
    assert len(made["prefixes"]) == 32
    made = new_token(api, name="n" * 128, prefixes=["a"])
    assert made["prefixes"] == ["a"]


FUTURE = "2099-01-01T00:00:00Z"
BAD_REQUESTS = [
    ("no-name", {"scopes": ["read"]}, "name"),
    ("empty-name", {"name": "", "scopes": ["read"]}, "name"),
    ("name-not-string", {"name": 7, "scopes": ["read"]}, "name"),
    ("name-newline", {"name": "a\nb", "scopes": ["read"]}, "name"),
    ("name-nul", {"name": "a\u0000b", "scopes": ["read"]}, None),  # refused by the JSON parser
    ("name-del", {"name": "a\u007fb", "scopes": ["read"]}, "name"),
    ("name-129-bytes", {"name": "n" * 129, "scopes": ["read"]}, "name"),
    ("name-130-utf8-bytes", {"name": "é" * 65, "scopes": ["read"]}, "name"),
    ("no-scopes", {"name": "x"}, "scopes"),
    ("empty-scopes", {"name": "x", "scopes": []}, "scopes"),
    ("scopes-not-array", {"name": "x", "scopes": "read"}, "scopes"),
    ("scope-not-string", {"name": "x", "scopes": [1]}, "scopes"),
    ("unknown-scope", {"name": "x", "scopes": ["read", "root"]}, "scopes"),
    ("scope-wrong-case", {"name": "x", "scopes": ["Admin"]}, "scopes"),
    ("prefix-uppercase", {"name": "x", "scopes": ["read"], "prefixes": ["Acme"]}, "prefixes"),
    ("prefix-empty", {"name": "x", "scopes": ["read"], "prefixes": [""]}, "prefixes"),
    ("prefix-digit-first", {"name": "x", "scopes": ["read"], "prefixes": ["1acme"]}, "prefixes"),
    ("prefix-slash", {"name": "x", "scopes": ["read"], "prefixes": ["acme/x"]}, "prefixes"),
    ("prefix-space", {"name": "x", "scopes": ["read"], "prefixes": ["acme x"]}, "prefixes"),
    ("prefix-129", {"name": "x", "scopes": ["read"], "prefixes": ["a" * 129]}, "prefixes"),
    ("prefixes-33", {"name": "x", "scopes": ["read"], "prefixes": [f"p{i}" for i in range(33)]}, "prefixes"),
    ("prefixes-not-array", {"name": "x", "scopes": ["read"], "prefixes": "acme"}, "prefixes"),
    ("expires-words", {"name": "x", "scopes": ["read"], "expires_at": "tomorrow"}, "expires_at"),
    ("expires-date-only", {"name": "x", "scopes": ["read"], "expires_at": "2099-01-01"}, "expires_at"),
    ("expires-number", {"name": "x", "scopes": ["read"], "expires_at": 4102444800}, "expires_at"),
    ("expires-past", {"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
]


@pytest.mark.parametrize("case,body,field", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_create_rejects_bad_requests_naming_the_field(api, case, body, field):
    before = len(token_list(api))
    body = assert_error(api.post("/auth/tokens", json=body), 400, "BAD_REQUEST")
    if field:
        assert re.search(rf'"{field}(\[\d+\])?"', body["error"]), body
    assert len(token_list(api)) == before, "a refused request stored a token"


def test_create_rejects_an_expiry_a_moment_ago_and_a_non_json_body(api):
    body = assert_error(api.post("/auth/tokens", json={"name": "x", "scopes": ["read"],
                                                        "expires_at": rfc3339_in(-1)}), 400, "BAD_REQUEST")
    assert '"expires_at"' in body["error"]
    assert_error(api.post_raw("/auth/tokens", b"{not json"), 400, "BAD_REQUEST")
    assert_error(api.post_raw("/auth/tokens", b"[]"), 400, "BAD_REQUEST")


# ---- listing -------------------------------------------------------------------------------------

def test_list_never_shows_a_secret_or_its_hash(module_spoke, api):
    made = [new_token(api, scopes=[s]) for s in ("read", "write", "admin")]
    r = api.get("/auth/tokens")
    assert r.status_code == 200
    listed = {t["id"]: t for t in r.json()}
    for m in made:
        rec = listed[m["id"]]
        assert set(rec) == RECORD_KEYS, rec
        assert rec["name"] == m["name"] and rec["scopes"] == m["scopes"]
    for secret in SEEN_SECRETS:
        assert secret not in r.text and secret[6:] not in r.text
        assert sha256_hex(secret) not in r.text
    for rec in r.json():
        assert TOKEN_ID_RE.match(rec["id"]), rec
        assert RFC3339_MS.match(rec["created_at"]), rec


# ---- refusals ------------------------------------------------------------------------------------

def test_refused_credentials_say_why_but_never_echo_the_token(module_spoke, anon):
    health = SpokeClient(module_spoke.health_url)
    before = scrape_metrics(health)
    unknown = "spoke_" + "Q" * 43
    r = client(module_spoke, unknown).get("/modules")  # a public read: a refused credential still 401s
    assert_unauthorized(r, "not a known token", unknown)
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    r = client(module_spoke, "aaa.bbb.ccc").get("/modules")  # a JWT, and none are configured
    assert_unauthorized(r, "JWT", "aaa.bbb.ccc")
    r = client(module_spoke, "not-a-token").get("/modules")
    assert_unauthorized(r, "neither", "not-a-token")
    r = client(module_spoke, unknown + "Q").get("/modules")  # one character too long
    assert_unauthorized(r, "neither", unknown)
    r = anon.get("/modules", headers={"Authorization": f"Basic {unknown}"})
    assert_unauthorized(r, "Bearer", unknown)
    # No credential at all on a write: 401 naming the scope, without error="invalid_token".
    r = anon.create_module(unique("anon"))
    assert_unauthorized(r, "write")
    assert "invalid_token" not in r.headers["WWW-Authenticate"]
    after = scrape_metrics(health)
    assert metric(after, REFUSED, reason="unknown_token") - metric(before, REFUSED, reason="unknown_token") == 1
    assert metric(after, REFUSED, reason="malformed") - metric(before, REFUSED, reason="malformed") == 3
    assert metric(after, REFUSED, reason="missing") - metric(before, REFUSED, reason="missing") == 1
    assert metric(after, REFUSED, reason="jwt_invalid") - metric(before, REFUSED, reason="jwt_invalid") == 1
    health.close()


# ---- revocation ----------------------------------------------------------------------------------

def test_revoke_is_enforced_at_once_and_only_once(module_spoke, api):
    made = new_token(api, scopes=["read"])
    secret = made["token"]
    # Cached by whichever API loops the connections land on.
    for _ in range(6):
        assert fresh_get(module_spoke, "/modules", secret).status_code == 200
    health = SpokeClient(module_spoke.health_url)
    before = scrape_metrics(health)

    r = api.request("DELETE", f"/auth/tokens/{made['id']}")
    assert r.status_code == 200, r.text
    rec = r.json()
    assert set(rec) == RECORD_KEYS, rec
    assert rec["id"] == made["id"] and rec["name"] == made["name"]
    assert RFC3339_MS.match(rec["revoked_at"]), rec
    assert parse_ts(rec["revoked_at"]) >= parse_ts(rec["created_at"])
    assert secret not in r.text

    for _ in range(6):
        assert_unauthorized(fresh_get(module_spoke, "/modules", secret), "revoked", secret)
    after = scrape_metrics(health)
    assert metric(after, REFUSED, reason="revoked") - metric(before, REFUSED, reason="revoked") == 6

    time.sleep(0.01)
    again = api.request("DELETE", f"/auth/tokens/{made['id']}")
    assert again.status_code == 200, again.text
    assert again.json()["revoked_at"] == rec["revoked_at"], "a second revoke moved revoked_at"
    assert record_of(api, made["id"])["revoked_at"] == rec["revoked_at"]
    health.close()


def test_revoke_racing_a_first_use_leaves_nothing_cached(spawn_spoke):
    """A lookup that read the token before the revocation committed and answers after it must not
    put the unrevoked record back into this instance's cache (it would be accepted for a whole
    SPOKE_AUTH_CACHE_TTL after DELETE said 200). Races a first use against the revoke many times,
    with a sub-millisecond offset swept across the window: it cannot fail on a correct server, and
    catches the race most runs on postgres, whose lookups and writes overlap on the connection pool."""
    server = spawn_spoke(env={"SPOKE_AUTH_FAILURE_LIMIT": "0", "SPOKE_LOG_LEVEL": "error"})
    rounds = 400 if server.storage == "postgres" else 150
    admin = server.client()
    stale = []
    for i in range(rounds):
        made = new_token(admin, scopes=["read"], name=f"race-{i}")
        start = threading.Barrier(2)

        def first_use():
            start.wait()
            fresh_get(server, "/modules", made["token"])

        user = threading.Thread(target=first_use)
        user.start()
        start.wait()
        time.sleep((i % 4) * 0.0005)
        r = admin.request("DELETE", f"/auth/tokens/{made['id']}")
        user.join()
        assert r.status_code == 200, r.text
        if fresh_get(server, "/modules", made["token"]).status_code == 200:
            stale.append(made["id"])
    admin.close()
    assert not stale, (f"{len(stale)} of {rounds} tokens revoked through this instance were still accepted "
                       f"after the revoke returned: {stale[:5]}")


@pytest.mark.parametrize("token_id", ["tok_0000000000000000", "tok_nothex", "nope", "TOK_0000000000000000"])
def test_revoke_unknown_id_is_404(api, token_id):
    assert_error(api.request("DELETE", f"/auth/tokens/{token_id}"), 404, "NOT_FOUND")


# ---- expiry --------------------------------------------------------------------------------------

def test_token_stops_working_when_it_expires(module_spoke, api):
    made = new_token(api, scopes=["read"], expires_at=rfc3339_in(2))
    expires = parse_ts(made["expires_at"])
    c = client(module_spoke, made["token"])
    assert c.get("/modules").status_code == 200
    deadline = time.monotonic() + 6
    while True:
        r = c.get("/modules")
        now = datetime.datetime.now(datetime.timezone.utc)
        if r.status_code != 200:
            break
        assert time.monotonic() < deadline, "the token still worked 4 s after it expired"
        time.sleep(0.05)
    assert_unauthorized(r, "expired", made["token"])
    # Not refused before its time (10 ms for clock granularity), and refused promptly after it.
    assert now >= expires - datetime.timedelta(milliseconds=10), (now, expires)
    assert now <= expires + datetime.timedelta(seconds=1.5), (now, expires)
    c.close()


# ---- scopes and prefixes -------------------------------------------------------------------------

def test_prefix_limited_write_token(module_spoke, api):
    prefix = unique("team") + "."
    made = new_token(api, scopes=["write"], prefixes=[prefix])
    c = client(module_spoke, made["token"])
    inside = prefix + "svc"
    assert c.create_module(inside).status_code == 201
    c.push_ok(inside, "1.0.0", {"a.proto": proto("inside", "message A {}")})

    outside = unique("other")
    body = assert_error(c.create_module(outside), 403, "FORBIDDEN")
    assert prefix in body["error"] and outside in body["error"], body
    assert api.create_module(outside).status_code == 201
    body = assert_error(c.push(outside, "1.0.0", {"a.proto": proto("outside", "message A {}")}), 403, "FORBIDDEN")
    assert prefix in body["error"], body
    assert api.versions(outside) == []
    # A module that merely contains the prefix is outside it.
    sneaky = "x" + prefix + "svc"
    assert_error(c.create_module(sneaky), 403, "FORBIDDEN")
    # Reads stay open, config needs admin, token management needs admin.
    assert c.get(f"/modules/{outside}").status_code == 200
    body = assert_error(c.put(f"/modules/{inside}/config", json={"compatibility": "NONE"}), 403, "FORBIDDEN")
    assert "admin" in body["error"], body
    body = assert_error(c.get("/auth/tokens"), 403, "FORBIDDEN")
    assert "admin" in body["error"], body
    c.close()


def test_prefix_limited_admin_token_cannot_manage_tokens(module_spoke, api):
    prefix = unique("adm") + "-"
    made = new_token(api, scopes=["admin"], prefixes=[prefix])
    victim = new_token(api, scopes=["read"])
    c = client(module_spoke, made["token"])
    inside = prefix + "svc"
    assert c.create_module(inside).status_code == 201
    r = c.put(f"/modules/{inside}/config", json={"compatibility": "NONE"})
    assert r.status_code == 200, r.text
    outside = api.new_module("admout")
    body = assert_error(c.put(f"/modules/{outside}/config", json={"compatibility": "NONE"}), 403, "FORBIDDEN")
    assert prefix in body["error"], body
    for r in (c.post("/auth/tokens", json={"name": "escalate", "scopes": ["admin"]}),
              c.get("/auth/tokens"),
              c.request("DELETE", f"/auth/tokens/{victim['id']}")):
        body = assert_error(r, 403, "FORBIDDEN")
        assert prefix in body["error"], body
    assert not any(t["name"] == "escalate" for t in token_list(api))
    assert record_of(api, victim["id"])["revoked_at"] is None
    c.close()


def test_read_token_cannot_write(module_spoke, api):
    made = new_token(api, scopes=["read"])
    c = client(module_spoke, made["token"])
    m = api.new_module("ro")
    assert c.get(f"/modules/{m}").status_code == 200
    assert c.get("/modules").status_code == 200
    for r in (c.create_module(unique("ro")), c.push(m, "1.0.0", {"a.proto": proto("ro", "message A {}")})):
        body = assert_error(r, 403, "FORBIDDEN")
        assert "write" in body["error"], body
        assert made["token"] not in r.text
    body = assert_error(c.put(f"/modules/{m}/config", json={"compatibility": "NONE"}), 403, "FORBIDDEN")
    assert "admin" in body["error"]
    assert api.versions(m) == []
    c.close()


def test_write_token_cannot_change_config_or_tokens(module_spoke, api):
    made = new_token(api, scopes=["write"])
    c = client(module_spoke, made["token"])
    m = c.new_module("wr")
    c.push_ok(m, "1.0.0", {"a.proto": proto("wr", "message A {}")})
    body = assert_error(c.put(f"/modules/{m}/config", json={"compatibility": "NONE"}), 403, "FORBIDDEN")
    assert "admin" in body["error"]
    body = assert_error(c.post("/auth/tokens", json={"name": "x", "scopes": ["read"]}), 403, "FORBIDDEN")
    assert "admin" in body["error"]
    c.close()


# ---- last_used_at --------------------------------------------------------------------------------

def test_last_used_at_is_recorded_in_batches(module_spoke, api):
    made = new_token(api, scopes=["read"])
    assert record_of(api, made["id"])["last_used_at"] is None
    c = client(module_spoke, made["token"])
    assert c.get("/modules").status_code == 200
    used = datetime.datetime.now(datetime.timezone.utc)
    deadline = time.monotonic() + 5
    while True:
        rec = record_of(api, made["id"])
        if rec["last_used_at"] is not None:
            break
        assert time.monotonic() < deadline, "last_used_at not set 5 s after use (interval 200 ms)"
        time.sleep(0.1)
    assert RFC3339_MS.match(rec["last_used_at"]), rec
    last = parse_ts(rec["last_used_at"])
    assert last >= parse_ts(rec["created_at"]), rec
    assert abs((last - used).total_seconds()) < 2, (last, used)
    c.close()


# ---- the secret is never stored in plain text --------------------------------------------------

def _used_tokens(server, api):
    """Tokens made both ways, used (ok and refused), one revoked, last_used_at written."""
    made = new_token(api, scopes=["write"])
    boot = create_token(server.binary, server.env(), unique("boot"), ["read"])
    SEEN_SECRETS.append(boot)
    revoked = new_token(api, scopes=["read"])
    for secret in (made["token"], boot, revoked["token"]):
        assert client(server, secret).get("/modules").status_code == 200
    assert client(server, boot).create_module(unique("no")).status_code == 403
    assert api.request("DELETE", f"/auth/tokens/{revoked['id']}").status_code == 200
    assert client(server, revoked["token"]).get("/modules").status_code == 401
    deadline = time.monotonic() + 5
    while record_of(api, made["id"])["last_used_at"] is None:
        assert time.monotonic() < deadline, "last_used_at never written"
        time.sleep(0.1)
    time.sleep(0.3)  # one more batch for the others
    return [made["token"], boot, revoked["token"], server.admin_token]


@pytest.mark.filesystem_only("searches the files of the filesystem root")
def test_no_file_under_the_root_holds_a_secret(module_spoke, api):
    secrets = _used_tokens(module_spoke, api)
    contents = []
    names = []
    for dirpath, dirnames, filenames in os.walk(module_spoke.root):
        names.extend(dirnames)
        for f in filenames:
            names.append(f)
            path = os.path.join(dirpath, f)
            if os.path.isfile(path):
                with open(path, "rb") as fh:
                    contents.append((path, fh.read()))
    assert contents, "nothing stored under the root"
    for secret in secrets:
        for form in secret_forms(secret):
            for path, data in contents:
                assert form not in data, f"{path} holds a token secret"
            assert not any(form in n.encode() for n in names)
        h = sha256_hex(secret)
        token_file = os.path.join(module_spoke.root, "tokens", f"{h}.json")
        assert os.path.isfile(token_file), f"no {token_file}"
        assert (os.stat(token_file).st_mode & 0o777) == 0o600, oct(os.stat(token_file).st_mode)


@pytest.mark.postgres_only("dumps the postgres database")
def test_no_secret_in_a_database_dump(module_spoke, api):
    secrets = _used_tokens(module_spoke, api)
    url = url_for_database(os.environ["PG_PRIMARY_URL"], module_spoke.database)
    dump = subprocess.run(["pg_dump", "--no-owner", url], capture_output=True, timeout=60)
    assert dump.returncode == 0, dump.stderr.decode()
    text = dump.stdout
    assert b"api_tokens" in text
    for secret in secrets:
        for form in secret_forms(secret):
            assert form not in text, "the database dump holds a token secret"
        assert sha256_hex(secret).encode() in text, "the token's hash is not in the dump"


# ---- the secret is never logged ------------------------------------------------------------------

def test_secrets_never_reach_logs_or_metrics(module_spoke, api):
    made = new_token(api, scopes=["read"])
    secret = made["token"]
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    c = client(module_spoke, secret)
    assert c.get("/modules").status_code == 200
    assert c.create_module(unique("x")).status_code == 403
    assert client(module_spoke, wrong).get("/modules").status_code == 401
    assert client(module_spoke, secret + "x").get("/modules").status_code == 401
    assert api.get("/modules", headers={"Authorization": f"Token {secret}"}).status_code == 401
    assert api.request("DELETE", f"/auth/tokens/{made['id']}").status_code == 200
    last = c.get("/modules")
    assert last.status_code == 401
    wait_for_request_logged(module_spoke, last.headers["X-Request-Id"])
    metrics_text = requests.get(module_spoke.health_url + "/metrics", timeout=10).text
    logs = module_spoke.stdout() + module_spoke.stderr()
    assert "credential_id" in logs  # the logs do name credentials, by id
    for s in SEEN_SECRETS + [wrong, secret + "x"]:
        for text, where in ((logs, "the logs"), (metrics_text, "/metrics")):
            assert s not in text and s[6:] not in text, f"a token secret reached {where}"
    c.close()


# ---- the bootstrap command -----------------------------------------------------------------------

def run_token_command(server, args, env=None):
    return subprocess.run([server.binary, "token", *args], env=env or server.env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)


def test_bootstrap_token_works_at_once_on_a_running_server(module_spoke, api):
    name = unique("boot")
    prefix = unique("bp") + "."
    at = rfc3339_in(3600)
    proc = run_token_command(module_spoke, ["create", "--name", name, "--scope", "write", "--scope", "read",
                                            "--prefix", prefix, "--expires-at", at])
    assert proc.returncode == 0, proc.stderr
    secret = proc.stdout.strip()
    SEEN_SECRETS.append(secret)
    assert proc.stdout == secret + "\n", "stdout must hold the secret alone"
    assert SECRET_RE.match(secret), proc.stdout
    assert proc.stderr.strip() and secret not in proc.stderr
    # The server sees it at once.
    c = client(module_spoke, secret)
    assert c.create_module(prefix + "svc").status_code == 201
    assert_error(c.create_module(unique("outside")), 403, "FORBIDDEN")
    rec = [t for t in token_list(api) if t["name"] == name]
    assert len(rec) == 1, rec
    rec = rec[0]
    assert rec["id"] in proc.stderr
    assert sorted(rec["scopes"]) == ["read", "write"] and rec["prefixes"] == [prefix]
    assert parse_ts(rec["expires_at"]) == parse_ts(at)
    # An admin token made this way manages tokens.
    admin = create_token(module_spoke.binary, module_spoke.env(), unique("bootadm"), ["admin"])
    SEEN_SECRETS.append(admin)
    assert client(module_spoke, admin).get("/auth/tokens").status_code == 200
    c.close()


BAD_ARGS = [
    ("unknown-option", ["create", "--name", "NAME", "--scope", "read", "--bogus", "x"]),
    ("flag-without-value", ["create", "--name", "NAME", "--scope"]),
    ("missing-name", ["create", "--scope", "read"]),
    ("empty-name", ["create", "--name", "", "--scope", "read"]),
    ("missing-scope", ["create", "--name", "NAME"]),
    ("bad-scope", ["create", "--name", "NAME", "--scope", "root"]),
    ("bad-prefix", ["create", "--name", "NAME", "--scope", "read", "--prefix", "Acme"]),
    ("past-expiry", ["create", "--name", "NAME", "--scope", "read", "--expires-at", "2001-01-01T00:00:00Z"]),
    ("bad-expiry", ["create", "--name", "NAME", "--scope", "read", "--expires-at", "tomorrow"]),
    ("no-subcommand", []),
    ("unknown-subcommand", ["revoke", "--name", "NAME"]),
]


def test_bootstrap_refuses_bad_arguments_with_exit_2(module_spoke, api):
    name = unique("badarg")
    for case, args in BAD_ARGS:
        proc = run_token_command(module_spoke, [name if a == "NAME" else a for a in args])
        assert proc.returncode == 2, (case, proc.returncode, proc.stdout, proc.stderr)
        assert proc.stdout == "", (case, proc.stdout)
        assert proc.stderr.strip(), case
    assert not any(t["name"] == name for t in token_list(api)), "a refused command stored a token"


def test_bootstrap_with_a_broken_configuration_exits_2(module_spoke):
    env = module_spoke.env()
    env["SPOKE_STORAGE_TYPE"] = "bogus"
    proc = run_token_command(module_spoke, ["create", "--name", "x", "--scope", "read"], env=env)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    assert "SPOKE_STORAGE_TYPE" in proc.stderr, proc.stderr


# ---- anonymous reads off -------------------------------------------------------------------------

def test_anonymous_reads_can_be_turned_off(spawn_spoke):
    server = spawn_spoke(env={"SPOKE_AUTH_ANONYMOUS_READ": "false"})
    admin = server.client()
    m = admin.new_module("private")
    read = new_token(admin, scopes=["read"])
    anon = server.client(token=None)
    for path in ("/modules", f"/modules/{m}", f"/modules/{m}/versions"):
        r = anon.get(path)
        assert_unauthorized(r, "read")
        assert "invalid_token" not in r.headers["WWW-Authenticate"]
    c = client(server, read["token"])
    assert c.get("/modules").status_code == 200
    assert c.get(f"/modules/{m}").status_code == 200
    assert_error(c.create_module(unique("ro")), 403, "FORBIDDEN")
    # The health port stays open.
    assert requests.get(server.health_url + "/health/ready", timeout=10).status_code == 200
    for x in (admin, anon, c):
        x.close()


# ---- revocation across instances ---------------------------------------------------------------

@pytest.mark.postgres_only("two servers share one database")
def test_revocation_reaches_another_instance_within_the_cache_ttl(spawn_spoke, tmp_path):
    shared = tmp_path / "shared-root"
    env = {"SPOKE_AUTH_CACHE_TTL": "2s"}
    a = spawn_spoke(env=env, root=shared, name="a")
    b = spawn_spoke(env=env, root=shared, name="b")
    assert a.database == b.database
    admin_a = a.client()
    made = new_token(admin_a, scopes=["read"])
    secret = made["token"]
    # B learns of the token (and caches it) through its own lookup.
    assert fresh_get(b, "/modules", secret).status_code == 200
    assert fresh_get(a, "/modules", secret).status_code == 200

    r = admin_a.request("DELETE", f"/auth/tokens/{made['id']}")
    assert r.status_code == 200, r.text
    revoked = time.monotonic()
    assert_unauthorized(fresh_get(a, "/modules", secret), "revoked", secret)
    while True:
        rb = fresh_get(b, "/modules", secret)
        if rb.status_code != 200:
            break
        assert time.monotonic() - revoked < 6, "instance B still accepted the revoked token after 6 s"
        time.sleep(0.05)
    elapsed = time.monotonic() - revoked
    assert_unauthorized(rb, "revoked", secret)
    assert elapsed <= 2.0 + 1.5, f"instance B refused the revoked token only after {elapsed:.2f} s"
    admin_a.close()
