"""The audit trail and the failed-authentication limiter: one `msg: "audit"` JSON line per request
to a state-changing route and per request refused by authentication (401/403/429), whatever
SPOKE_LOG_LEVEL says, never holding a secret; SPOKE_AUTH_FAILURE_LIMIT throttling the address
that sent bad credentials (only requests that carry one), with its metrics."""

import http.client
import json
import re
import time

import requests

from harness.spoke_api import SpokeClient, assert_error, metric, proto, scrape_metrics, unique

AUDIT_KEYS = {"ts", "level", "msg", "request_id", "trace_id", "span_id", "client", "method", "route",
              "status", "result"}
OPTIONAL_KEYS = {"credential_id", "credential_name", "module", "version", "token_id", "reason"}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
REFUSED = "spoke_auth_refused_total"

SEEN_SECRETS = []


# ---- helpers -------------------------------------------------------------------------------------

def records(server):
    return server.log_records()


def audit_lines(server):
    return [r for r in records(server) if r.get("msg") == "audit"]


def wait_logged(server, request_id, msg, timeout_s=5.0):
    """The `msg` lines of request_id, waiting until at least one is there (the log is buffered)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [r for r in records(server) if r.get("request_id") == request_id and r.get("msg") == msg]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def audit_of(server, response):
    """The one audit line of a response's request, its shape checked."""
    rid = response.headers["X-Request-Id"]
    found = wait_logged(server, rid, "audit")
    assert len(found) == 1, f"expected one audit line for {rid}, got {found}"
    line = found[0]
    assert AUDIT_KEYS <= set(line) <= AUDIT_KEYS | OPTIONAL_KEYS, line
    assert line["level"] == "info" and TS_RE.match(line["ts"]), line
    assert line["status"] == response.status_code, line
    assert line["result"] in ("ok", "failed", "denied"), line
    assert ("reason" in line) == (line["result"] == "denied"), line
    return line


def assert_not_audited(server, response):
    rid = response.headers["X-Request-Id"]
    assert wait_logged(server, rid, "access"), f"no access line for {rid}"
    assert wait_logged(server, rid, "audit", timeout_s=0) == [], f"an audit line for {rid}"


def new_token(api, scopes, prefixes=None, name=None):
    body = {"name": name or unique("aud"), "scopes": list(scopes)}
    if prefixes:
        body["prefixes"] = list(prefixes)
    r = api.post("/auth/tokens", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    SEEN_SECRETS.append(made["token"])
    return made


def assert_no_secret_logged(server, extra=()):
    text = server.stdout() + server.stderr()
    for secret in [server.admin_token, *SEEN_SECRETS, *extra]:
        assert secret not in text and secret[6:] not in text, "a token secret reached the logs"


def get_from(server, source_ip, path, token=None):
    """A GET sent from another loopback address: (status, headers, body)."""
    conn = http.client.HTTPConnection(server.url.split("//")[1].split(":")[0], server.port, timeout=10,
                                      source_address=(source_ip, 0))
    try:
        headers = {"Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


# ---- what is audited -----------------------------------------------------------------------------

def test_push_is_audited_with_credential_module_and_version(module_spoke, api):
    made = new_token(api, ["write"])
    c = SpokeClient(module_spoke.url, token=made["token"])
    m = unique("aud")
    r = c.create_module(m)
    assert r.status_code == 201
    line = audit_of(module_spoke, r)
    assert line["route"] == "POST /modules" and line["method"] == "POST"
    assert line["module"] == m and line["result"] == "ok" and line["status"] == 201
    assert line["credential_id"] == made["id"] and line["credential_name"] == made["name"]

    r = c.push(m, "1.0.0", {"a.proto": proto("aud", "message A {}")})
    assert r.status_code == 201, r.text
    line = audit_of(module_spoke, r)
    assert set(line) == AUDIT_KEYS | {"credential_id", "credential_name", "module", "version"}, line
    assert line["request_id"] == r.headers["X-Request-Id"]
    assert line["client"] == "127.0.0.1"
    assert line["credential_id"] == made["id"] and line["credential_name"] == made["name"]
    assert line["module"] == m and line["version"] == "1.0.0"
    assert line["method"] == "POST" and line["route"] == "POST /modules/{name}/versions"
    assert line["status"] == 201 and line["result"] == "ok"
    # The access line of the same request names the credential too.
    access = wait_logged(module_spoke, r.headers["X-Request-Id"], "access")
    assert len(access) == 1 and access[0]["credential_id"] == made["id"], access
    c.close()
    assert_no_secret_logged(module_spoke)


def test_failed_writes_are_audited_as_failed(module_spoke, api):
    m = api.new_module("audf")
    api.push_ok(m, "1.0.0", {"a.proto": proto("audf", "message A {}")})
    r = api.push(m, "1.0.0", {"a.proto": proto("audf", "message B {}")})
    assert_error(r, 409, "VERSION_EXISTS")
    line = audit_of(module_spoke, r)
    assert line["result"] == "failed" and line["status"] == 409, line
    assert line["module"] == m and line["version"] == "1.0.0", line
    assert line["credential_name"] == "harness-admin", line

    r = api.post_raw(f"/modules/{m}/versions", b"{broken")
    assert_error(r, 400)
    line = audit_of(module_spoke, r)
    assert line["result"] == "failed" and line["status"] == 400 and line["module"] == m, line

    r = api.put(f"/modules/{m}/config", json={"compatibility": "NOPE"})
    assert_error(r, 400)
    line = audit_of(module_spoke, r)
    assert line["route"] == "PUT /modules/{name}/config" and line["result"] == "failed", line


def test_unauthenticated_requests_are_audited_as_denied(module_spoke, anon):
    m = unique("aud401")
    r = anon.create_module(m)
    assert_error(r, 401, "UNAUTHORIZED")
    line = audit_of(module_spoke, r)
    assert line["result"] == "denied" and line["reason"] == "UNAUTHORIZED", line
    assert line["status"] == 401 and line["client"] == "127.0.0.1"
    assert "credential_id" not in line and "credential_name" not in line, line

    # A refused credential on a read route: audited as well (a refused request, not a read).
    bad = "spoke_" + "Z" * 43
    r = anon.get("/modules", headers={"Authorization": f"Bearer {bad}"})
    assert_error(r, 401, "UNAUTHORIZED")
    line = audit_of(module_spoke, r)
    assert line["route"] == "GET /modules" and line["result"] == "denied" and line["reason"] == "UNAUTHORIZED"
    assert "credential_id" not in line, line
    assert_no_secret_logged(module_spoke, extra=[bad])


def test_forbidden_requests_are_audited_as_denied(module_spoke, api):
    made = new_token(api, ["read"])
    c = SpokeClient(module_spoke.url, token=made["token"])
    m = unique("aud403")
    r = c.create_module(m)
    assert_error(r, 403, "FORBIDDEN")
    line = audit_of(module_spoke, r)
    assert line["result"] == "denied" and line["reason"] == "FORBIDDEN" and line["status"] == 403, line
    assert line["credential_id"] == made["id"] and line["credential_name"] == made["name"]
    assert line["module"] == m, line
    r = c.get("/auth/tokens")
    assert_error(r, 403, "FORBIDDEN")
    line = audit_of(module_spoke, r)
    assert line["route"] == "GET /auth/tokens" and line["reason"] == "FORBIDDEN", line
    c.close()


def test_token_management_is_audited_with_the_token_id(module_spoke, api):
    r = api.post("/auth/tokens", json={"name": unique("audtok"), "scopes": ["read"]})
    assert r.status_code == 201
    made = r.json()
    SEEN_SECRETS.append(made["token"])
    line = audit_of(module_spoke, r)
    assert line["route"] == "POST /auth/tokens" and line["token_id"] == made["id"], line
    assert line["result"] == "ok" and line["credential_name"] == "harness-admin", line

    r = api.get("/auth/tokens")
    assert r.status_code == 200
    line = audit_of(module_spoke, r)
    assert line["route"] == "GET /auth/tokens" and line["result"] == "ok" and "token_id" not in line, line

    r = api.request("DELETE", f"/auth/tokens/{made['id']}")
    assert r.status_code == 200
    line = audit_of(module_spoke, r)
    assert line["route"] == "DELETE /auth/tokens/{id}" and line["token_id"] == made["id"], line
    assert line["result"] == "ok" and line["status"] == 200

    r = api.request("DELETE", "/auth/tokens/tok_0123456789abcdef")
    assert r.status_code == 404
    line = audit_of(module_spoke, r)
    assert line["token_id"] == "tok_0123456789abcdef" and line["result"] == "failed", line

    r = api.post("/auth/tokens", json={"name": "x", "scopes": ["root"]})
    assert r.status_code == 400
    line = audit_of(module_spoke, r)
    assert line["result"] == "failed" and "token_id" not in line, line

    # Using the revoked token: denied, by whom is unknown (the credential was refused).
    r = requests.get(module_spoke.url + "/modules", headers={"Authorization": f"Bearer {made['token']}"}, timeout=10)
    assert r.status_code == 401
    line = audit_of(module_spoke, r)
    assert line["result"] == "denied" and line["reason"] == "UNAUTHORIZED"
    assert_no_secret_logged(module_spoke)


def test_traceparent_gives_the_trace_id(module_spoke, api):
    r = api.create_module(unique("audtr"))
    assert r.status_code == 201
    # Without a traceparent the request starts a trace of its own.
    own = audit_of(module_spoke, r)
    assert re.fullmatch(r"[0-9a-f]{32}", own["trace_id"]) and own["trace_id"] != TRACE_ID, own
    assert re.fullmatch(r"[0-9a-f]{16}", own["span_id"]), own
    r = api.post("/modules", json={"name": unique("audtr")}, headers={"traceparent": TRACEPARENT})
    assert r.status_code == 201
    assert audit_of(module_spoke, r)["trace_id"] == TRACE_ID
    # On a denied request too.
    r = requests.post(module_spoke.url + "/modules", json={"name": unique("audtr")},
                      headers={"traceparent": TRACEPARENT}, timeout=10)
    assert r.status_code == 401
    line = audit_of(module_spoke, r)
    assert line["trace_id"] == TRACE_ID and line["result"] == "denied", line


def test_reads_are_not_audited(module_spoke, api, anon):
    m = api.new_module("audr")
    assert_not_audited(module_spoke, anon.get("/modules"))
    assert_not_audited(module_spoke, anon.get(f"/modules/{m}"))
    made = new_token(api, ["read"])
    c = SpokeClient(module_spoke.url, token=made["token"])
    r = c.get(f"/modules/{m}")
    assert r.status_code == 200
    assert_not_audited(module_spoke, r)
    access = wait_logged(module_spoke, r.headers["X-Request-Id"], "access")
    assert access[0]["credential_id"] == made["id"], access
    c.close()


def test_audit_lines_are_written_at_log_level_error(spawn_spoke):
    server = spawn_spoke(env={"SPOKE_LOG_LEVEL": "error"})
    admin = server.client()
    m = unique("audlvl")
    r = admin.create_module(m)
    assert r.status_code == 201
    line = audit_of(server, r)
    assert line["module"] == m and line["result"] == "ok" and line["credential_name"] == "harness-admin"
    r = requests.post(server.url + "/modules", json={"name": unique("audlvl")}, timeout=10)
    assert r.status_code == 401
    assert audit_of(server, r)["reason"] == "UNAUTHORIZED"
    # An unaudited read leaves no line at all at this level.
    r = admin.get("/modules")
    assert r.status_code == 200
    time.sleep(0.3)
    assert not [x for x in records(server) if x.get("msg") == "access"], "access lines at SPOKE_LOG_LEVEL=error"
    assert not [x for x in records(server) if x.get("request_id") == r.headers["X-Request-Id"]]
    admin.close()
    assert_no_secret_logged(server)


# ---- the failed-authentication limiter ---------------------------------------------------------

def test_failed_authentications_throttle_the_address(spawn_spoke):
    server = spawn_spoke(env={"SPOKE_AUTH_FAILURE_LIMIT": "5/m"})
    good = server.admin_token  # made before any failure
    health = SpokeClient(server.health_url)
    before = scrape_metrics(health)
    admin = SpokeClient(server.url, token=good)
    m = admin.new_module("thr")  # a valid credential, no failure yet

    bad = [f"spoke_{i}" + "x" * 42 for i in range(7)]
    for secret in bad[:5]:
        r = requests.get(server.url + "/modules", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        assert_error(r, 401, "UNAUTHORIZED")

    # The bucket is empty: any credential from this address waits, even a valid one.
    r = admin.get("/modules")
    body = assert_error(r, 429, "RATE_LIMITED")
    assert "retry" in body["error"] and good not in r.text
    retry = r.headers.get("Retry-After")
    # 5 per minute: one more failure is allowed every 12 s.
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 12, r.headers
    line = audit_of(server, r)
    assert line["result"] == "denied" and line["reason"] == "RATE_LIMITED" and line["client"] == "127.0.0.1"
    assert "credential_id" not in line, line
    r = admin.create_module(unique("thr"))
    assert_error(r, 429, "RATE_LIMITED")
    r = requests.get(server.url + "/modules", headers={"Authorization": f"Bearer {bad[5]}"}, timeout=10)
    assert_error(r, 429, "RATE_LIMITED")

    # Requests without a credential are not affected: anonymous reads work, writes are plain 401.
    anon = server.client(token=None)
    assert anon.get("/modules").status_code == 200
    assert anon.get(f"/modules/{m}").status_code == 200
    assert_error(anon.create_module(unique("thr")), 401, "UNAUTHORIZED")

    # Another address is not limited: a valid token works, a bad one is a plain 401.
    status, headers, payload = get_from(server, "127.0.0.2", "/auth/tokens", token=good)
    assert status == 200, payload
    status, headers, payload = get_from(server, "127.0.0.2", "/modules", token=bad[6])
    assert status == 401, payload
    rid = headers["X-Request-Id"]
    line = wait_logged(server, rid, "audit")
    assert len(line) == 1 and line[0]["client"] == "127.0.0.2" and line[0]["reason"] == "UNAUTHORIZED", line

    after = scrape_metrics(health)
    delta = {reason: metric(after, REFUSED, reason=reason) - metric(before, REFUSED, reason=reason)
             for reason in ("unknown_token", "throttled", "malformed", "missing")}
    assert delta["unknown_token"] == 6, delta   # five from 127.0.0.1, one from 127.0.0.2
    assert delta["throttled"] == 3, delta
    assert delta["missing"] == 1, delta
    assert metric(after, "spoke_auth_accepted_total", kind="api_token") >= 2
    assert metric(after, "spoke_auth_token_lookups_total") >= 7
    metrics_text = requests.get(server.health_url + "/metrics", timeout=10).text
    for secret in [good, *bad]:
        assert secret not in metrics_text
    admin.close()
    anon.close()
    health.close()
    assert_no_secret_logged(server, extra=bad)


def test_every_audit_line_is_one_json_object_without_secrets(module_spoke):
    """Runs last in this file: the whole stdout of the shared server, line by line."""
    r = requests.get(module_spoke.url + "/modules", timeout=10)
    wait_logged(module_spoke, r.headers["X-Request-Id"], "access")
    lines = [x for x in module_spoke.stdout().splitlines() if x.strip()]
    audits = 0
    for raw in lines:
        rec = json.loads(raw)
        if rec.get("msg") == "audit":
            audits += 1
            assert AUDIT_KEYS <= set(rec) <= AUDIT_KEYS | OPTIONAL_KEYS, rec
    assert audits >= 10
    assert_no_secret_logged(module_spoke)
