"""The authorization matrix, generated from the server's own route table (GET /_test/routes).

This file keeps its OWN classification of every route (scope, where the module comes from): the route
table must match it exactly, so a new route cannot be added without deciding here what it needs, and a
weakened declaration (write -> read, path -> none) fails. Then every route is called with every kind of
credential, on a server with anonymous reads on and one with them off, and the gate's outcome is
checked: 401 (with WWW-Authenticate), 403, or "passes" (any status the handler gives, never 401/403).

The calls are harmless: bodies the handlers refuse with 400, versions and ids that do not exist."""

import base64
import datetime
import json
import secrets
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.spoke_api import assert_error, assert_json, proto, unique
from harness.spoke_process import SpokeProcess

# ---- the classification ------------------------------------------------------------------------
# What every route needs: (scope, module source). Changing a line here is changing the security
# contract: do it only together with docs/api.md ("Authentication").
EXPECTED_ROUTES = {
    "POST /modules": ("write", "body"),
    "GET /modules": ("read", "none"),
    "GET /modules/{name}": ("read", "path"),
    "POST /modules/{name}/versions": ("write", "path"),
    "GET /modules/{name}/versions": ("read", "path"),
    "GET /modules/{name}/versions/{version}": ("read", "path"),
    "GET /modules/{name}/versions/{version}/files/{path...}": ("read", "path"),
    "GET /modules/{name}/versions/{version}/dependencies": ("read", "path"),
    "GET /modules/{name}/versions/{version}/dependents": ("read", "path"),
    "GET /modules/{name}/versions/{version}/descriptor": ("read", "path"),
    "GET /modules/{name}/config": ("read", "path"),
    "PUT /modules/{name}/config": ("admin", "path"),
    "POST /modules/{name}/compatibility": ("read", "path"),
    "GET /modules/{name}/versions/{version}/compatibility": ("read", "path"),
    "POST /api/v1/modules/{name}/diff": ("read", "path"),
    "GET /api/v1/languages": ("read", "none"),
    "POST /api/v1/modules/{name}/versions/{version}/compile": ("read", "path"),
    "GET /api/v1/modules/{name}/versions/{version}/compile/{job_id}": ("read", "path"),
    "GET /modules/{name}/versions/{version}/download/{language}": ("read", "path"),
    "GET /api/v1/modules/{name}/versions/{version}/download/{language}": ("read", "path"),
    "POST /auth/tokens": ("admin", "all"),
    "GET /auth/tokens": ("admin", "all"),
    "DELETE /auth/tokens/{id}": ("admin", "all"),
    "POST /validate": ("read", "none"),
    # Confluent's dialect (docs/confluent.md): a subject is the module for prefix checks.
    "GET /schemas/types": ("read", "none"),
    "GET /schemas/ids/{id}": ("read", "none"),
    "GET /schemas/ids/{id}/schema": ("read", "none"),
    "GET /schemas/ids/{id}/versions": ("read", "none"),
    "GET /schemas/ids/{id}/subjects": ("read", "none"),
    "GET /subjects": ("read", "none"),
    "POST /subjects/{name}": ("read", "path"),
    "DELETE /subjects/{name}": ("write", "path"),
    "GET /subjects/{name}/versions": ("read", "path"),
    "POST /subjects/{name}/versions": ("write", "path"),
    "GET /subjects/{name}/versions/{version}": ("read", "path"),
    "DELETE /subjects/{name}/versions/{version}": ("write", "path"),
    "GET /subjects/{name}/versions/{version}/schema": ("read", "path"),
    "GET /subjects/{name}/versions/{version}/referencedby": ("read", "path"),
    "POST /compatibility/subjects/{name}/versions/{version}": ("read", "path"),
    "POST /compatibility/subjects/{name}/versions": ("read", "path"),
    "GET /config": ("read", "none"),
    "PUT /config": ("admin", "all"),
    "DELETE /config": ("admin", "all"),
    "GET /config/{name}": ("read", "path"),
    "PUT /config/{name}": ("admin", "path"),
    "DELETE /config/{name}": ("admin", "path"),
    "GET /mode": ("read", "none"),
    "PUT /mode": ("admin", "all"),
    "GET /mode/{name}": ("read", "path"),
    "PUT /mode/{name}": ("admin", "path"),
    "DELETE /mode/{name}": ("admin", "path"),
    # Test hooks (test builds only).
    "GET /_test/slow": ("read", "none"),
    "POST /_test/stall": ("read", "none"),
    "GET /_test/routes": ("read", "none"),
}

# How to call a route harmlessly once the gate lets it through. Path parameters other than {name}
# name nothing that exists; POST /modules gets a name (for the prefix check) and a description the
# handler refuses; other bodies are {} (400); the downloads get a format they refuse (400, before any
# code generation); the test hooks get no ?ms= (400).
PATH_VALUES = {"version": "9.9.9", "path...": "acme/none.proto", "job_id": "job-does-not-exist",
               "language": "python", "id": "tok_0000000000000000"}
SPECIAL_BODIES = {"POST /modules": lambda module: {"name": module, "description": 5}}
SPECIAL_QUERIES = {
    "GET /modules/{name}/versions/{version}/download/{language}": {"format": "bogus"},
    "GET /api/v1/modules/{name}/versions/{version}/download/{language}": {"format": "bogus"},
}

RANK = {"read": 1, "write": 2, "admin": 3}
LIMITED_PREFIX = "lim-"
JWT_ISSUER = "https://issuer.matrix.test"
JWT_AUDIENCE = "spoke-matrix"
PASS = "passes"
EXPIRING_S = 2.5
WWW_MISSING = 'Bearer realm="spoke"'
WWW_INVALID = 'Bearer realm="spoke", error="invalid_token"'


def fill(pattern, module):
    path = pattern
    path = path.replace("{name}", module)
    for key, value in PATH_VALUES.items():
        path = path.replace("{" + key + "}", value)
    assert "{" not in path, f"no value for a parameter of {pattern}"
    return path


def probe(session, base, route, module, headers):
    method, pattern = route.split(" ", 1)
    kw = {"headers": headers, "timeout": 15}
    if route in SPECIAL_BODIES:
        kw["json"] = SPECIAL_BODIES[route](module)
    elif method in ("POST", "PUT"):
        kw["json"] = {}
    if route in SPECIAL_QUERIES:
        kw["params"] = SPECIAL_QUERIES[route]
    return session.request(method, base + fill(pattern, module), **kw)


# ---- credentials ---------------------------------------------------------------------------------
class Credential:
    """One column of the matrix: the Authorization header it sends and what the gate makes of it.
    kind: "none" (no header), "invalid" (refused by authentication), "valid" (scope, prefixes)."""

    def __init__(self, label, header, kind, scope=None, prefixes=(), inside=False, secret=None, reason=None):
        self.label = label
        self.reason = reason  # for "invalid": a word the 401's message has (it was refused for that)
        self.header = header
        self.kind = kind
        self.scope = scope
        self.prefixes = tuple(prefixes)
        self.inside = inside  # path/body modules are inside the credential's prefixes
        self.secret = secret  # text that must never be echoed in a response

    def headers(self):
        return {} if self.header is None else {"Authorization": self.header}


def expected_outcome(scope, module_from, cred, anonymous_read):
    """(outcome, why): outcome is 401, 403 or PASS, as access_policy.cpp decides it."""
    if cred.kind == "invalid":
        return 401, "invalid"
    if cred.kind == "none":
        if scope == "read" and anonymous_read:
            return PASS, ""
        return 401, "missing"
    if RANK[cred.scope] < RANK[scope]:
        return 403, "scope"
    if cred.prefixes:
        if module_from == "all":
            return 403, "prefix"
        if module_from in ("path", "body") and not cred.inside:
            if scope == "read" and anonymous_read:
                return PASS, ""
            return 403, "prefix"
    return PASS, ""


def rfc3339(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_claims(**over):
    now = int(time.time())
    claims = {"iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "sub": "matrix-bot", "iat": now, "exp": now + 600,
              "scope": "read write"}
    claims.update(over)
    return claims


class MatrixServer:
    """One server of the matrix with its credentials and its two modules (inside and outside the
    limited token's prefix)."""

    def __init__(self, proc, anonymous_read):
        self.proc = proc
        self.anonymous_read = anonymous_read
        self.session = requests.Session()
        self.admin = proc.client()
        self.creds = []
        self.module_out = None
        self.module_in = None
        self.expired_token = None
        self.expires_at = None

    def make_token(self, name, scopes, prefixes=(), expires_at=None):
        body = {"name": name, "scopes": list(scopes), "prefixes": list(prefixes)}
        if expires_at:
            body["expires_at"] = expires_at
        r = self.admin.post("/auth/tokens", json=body)
        assert r.status_code == 201, (r.status_code, r.text)
        made = r.json()
        assert made["token"].startswith("spoke_") and len(made["token"]) == 6 + 43, made
        return made

    def start_expiring_token(self):
        """An admin token that expires EXPIRING_S from now (the matrix runs after it has)."""
        self.expires_at = time.time() + EXPIRING_S
        at = datetime.datetime.fromtimestamp(self.expires_at, datetime.timezone.utc)
        self.expired_token = self.make_token("expiring", ["admin"], expires_at=rfc3339(at))["token"]
        # It works until then (unless this machine is too slow to tell), and is cached by then: the
        # expiry is checked on every use.
        r = self.session.get(self.proc.url + "/auth/tokens", headers=bearer(self.expired_token), timeout=15)
        if time.time() < self.expires_at - 0.5:
            assert r.status_code == 200, (r.status_code, r.text)

    def setup(self, signing_key, other_key):
        tokens = {scope: self.make_token(f"matrix-{scope}", [scope])["token"] for scope in RANK}
        limited = self.make_token("matrix-limited", ["write"], prefixes=[LIMITED_PREFIX])["token"]
        revoked = self.make_token("matrix-revoked", ["admin"])
        r = self.session.get(self.proc.url + "/modules", headers=bearer(revoked["token"]), timeout=15)
        assert r.status_code == 200, (r.status_code, r.text)
        r = self.admin.request("DELETE", f"/auth/tokens/{revoked['id']}")
        assert r.status_code == 200, (r.status_code, r.text)
        self.module_out = self.admin.new_module("out")
        self.module_in = self.admin.new_module(LIMITED_PREFIX.rstrip("-"))
        assert self.module_in.startswith(LIMITED_PREFIX) and not self.module_out.startswith(LIMITED_PREFIX)

        def rs(claims, key=signing_key):
            return jwt.encode(claims, key, algorithm="RS256")

        valid_jwt = rs(jwt_claims())
        expired_jwt = rs(jwt_claims(exp=int(time.time()) - 300, iat=int(time.time()) - 900))
        wrong_aud_jwt = rs(jwt_claims(aud="someone-else"))
        bad_sig_jwt = rs(jwt_claims(), key=other_key)
        none_jwt = b64url(json.dumps({"alg": "none", "typ": "JWT"})) + "." + b64url(json.dumps(jwt_claims())) + "."
        unknown = "spoke_" + b64url(secrets.token_bytes(32))
        assert len(unknown) == 6 + 43

        inv = "invalid"
        self.creds = [
            Credential("no credential", None, "none"),
            Credential("Basic abc", "Basic abc", inv, reason="Bearer <token>"),
            Credential("Bearer (empty)", "Bearer", inv, reason="Bearer <token>"),
            Credential("Bearer a b", "Bearer a b", inv, reason="Bearer <token>"),
            Credential("unknown token", f"Bearer {unknown}", inv, secret=unknown, reason="not a known token"),
            Credential("expired token", f"Bearer {self.expired_token}", inv, secret=self.expired_token,
                       reason="expired"),
            Credential("revoked token", f"Bearer {revoked['token']}", inv, secret=revoked["token"], reason="revoked"),
            Credential("read token", f"Bearer {tokens['read']}", "valid", "read", secret=tokens["read"]),
            Credential("write token", f"Bearer {tokens['write']}", "valid", "write", secret=tokens["write"]),
            # Confluent's clients send Basic; the password is the token, the user is ignored.
            Credential("Basic write token", basic("token", tokens["write"]), "valid", "write",
                       secret=tokens["write"]),
            Credential("Basic unknown token", basic("u", unknown), inv, secret=unknown, reason="not a known token"),
            Credential("Basic no password", basic("u", ""), inv, reason="Bearer <token>"),
            Credential("write lim- (outside)", f"Bearer {limited}", "valid", "write", [LIMITED_PREFIX],
                       secret=limited),
            Credential("write lim- (inside)", f"Bearer {limited}", "valid", "write", [LIMITED_PREFIX],
                       inside=True, secret=limited),
            Credential("admin token", f"Bearer {tokens['admin']}", "valid", "admin", secret=tokens["admin"]),
            Credential("JWT read write", f"Bearer {valid_jwt}", "valid", "write", secret=valid_jwt),
            Credential("JWT expired", f"Bearer {expired_jwt}", inv, secret=expired_jwt, reason="expired"),
            Credential("JWT wrong aud", f"Bearer {wrong_aud_jwt}", inv, secret=wrong_aud_jwt, reason="audience"),
            Credential("JWT bad signature", f"Bearer {bad_sig_jwt}", inv, secret=bad_sig_jwt, reason="signature"),
            Credential("JWT alg none", f"Bearer {none_jwt}", inv, secret=none_jwt, reason="none"),
        ]

    def wait_for_expiry(self):
        remaining = self.expires_at + 0.3 - time.time()
        if remaining > 0:
            time.sleep(remaining)

    def close(self):
        self.session.close()
        self.admin.close()


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def leaks(secret, text):
    """True when `text` holds the secret, or (for a JWT) its signature."""
    if not secret:
        return False
    parts = [secret] + ([secret.split(".")[2]] if secret.count(".") == 2 else [])
    return any(len(part) > 8 and part in text for part in parts)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def jwt_keys(tmp_path_factory):
    signing, other = rsa_key(), rsa_key()
    path = tmp_path_factory.mktemp("matrix_keys") / "jwt-keys.pem"
    path.write_bytes(public_pem(signing))
    return signing, other, str(path)


@pytest.fixture(scope="module")
def matrix_servers(spoke_bin, tmp_path_factory, jwt_keys):
    """{True: server with anonymous reads, False: server without}, each with its credentials."""
    signing, other, keys_path = jwt_keys
    procs, servers = [], {}
    try:
        for anonymous_read in (True, False):
            workdir = tmp_path_factory.mktemp(f"srv_auth_matrix_anon_{str(anonymous_read).lower()}")
            env = {
                "SPOKE_AUTH_ANONYMOUS_READ": "true" if anonymous_read else "false",
                "SPOKE_AUTH_FAILURE_LIMIT": "0",
                "SPOKE_AUTH_JWT_KEYS": keys_path,
                "SPOKE_AUTH_JWT_ISSUER": JWT_ISSUER,
                "SPOKE_AUTH_JWT_AUDIENCE": JWT_AUDIENCE,
            }
            p = SpokeProcess(spoke_bin, workdir, env=env, name=f"matrix-anon-{str(anonymous_read).lower()}")
            procs.append(p)
            p.start()
            servers[anonymous_read] = MatrixServer(p, anonymous_read)
        for s in servers.values():
            s.start_expiring_token()
        for s in servers.values():
            s.setup(signing, other)
        for s in servers.values():
            s.wait_for_expiry()
        yield servers
    finally:
        for s in servers.values():
            s.close()
        problems = []
        for p in procs:
            problems.extend(p.stop())
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


# ---- the route table -----------------------------------------------------------------------------
def test_route_table_matches_the_classification(matrix_servers):
    for server in matrix_servers.values():
        r = server.admin.get("/_test/routes")
        assert r.status_code == 200, (r.status_code, r.text)
        table = assert_json(r)
        assert isinstance(table, list) and table, table
        problems, seen = [], set()
        for entry in table:
            assert set(entry) == {"route", "scope", "module"}, entry
            route = entry["route"]
            if route in seen:
                problems.append(f"{route}: listed twice")
            seen.add(route)
            if route not in EXPECTED_ROUTES:
                problems.append(f"{route} ({entry['scope']}, {entry['module']}): not classified: "
                                "classify this new route in test_auth_matrix.py (EXPECTED_ROUTES)")
                continue
            want = EXPECTED_ROUTES[route]
            got = (entry["scope"], entry["module"])
            if got != want:
                problems.append(f"{route}: the server declares scope={got[0]} module={got[1]}, "
                                f"the test expects scope={want[0]} module={want[1]}")
        for route in EXPECTED_ROUTES:
            if route not in seen:
                problems.append(f"{route}: expected, but the server does not list it")
        assert not problems, "route table vs test_auth_matrix.py:\n  " + "\n  ".join(problems)


# ---- the matrix ----------------------------------------------------------------------------------
CONFLUENT_TYPE = "application/vnd.schemaregistry.v1+json"
CONFLUENT_ROOTS = ("/schemas", "/subjects", "/config", "/mode", "/compatibility")


def is_confluent_route(route):
    path = route.split(" ", 1)[1]
    return any(path == root or path.startswith(root + "/") for root in CONFLUENT_ROOTS)


def check_cell(r, route, cred, want, why):
    """Problems with one response (empty when it is what the gate should answer)."""
    scope = EXPECTED_ROUTES[route][0]
    got = r.status_code
    if want == PASS:
        if got in (401, 403):
            return [f"{got} {r.text[:160]}"]
        if got >= 500 or got == 429:
            return [f"{got} (a harmless call should not fail like this): {r.text[:160]}"]
        return []
    if got != want:
        return [f"{got} {r.text[:160]}"]
    problems = []
    try:
        body = r.json()
    except ValueError:
        return [f"error body is not JSON: {r.text[:160]!r}"]
    if is_confluent_route(route):
        # Kafka clients parse only the dialect's shape, so the gate answers in it there.
        if r.headers.get("Content-Type") != CONFLUENT_TYPE:
            problems.append(f"Content-Type {r.headers.get('Content-Type')!r}")
        if not isinstance(body, dict) or set(body) != {"error_code", "message"} \
                or not isinstance(body["message"], str) or not body["message"]:
            return problems + [f"error body shape: {body!r}"]
        if body["error_code"] != want:
            problems.append(f"error_code {body['error_code']!r}, expected {want}")
        body = {"error": body["message"]}
    else:
        if not r.headers.get("Content-Type", "").startswith("application/json"):
            problems.append(f"Content-Type {r.headers.get('Content-Type')!r}")
        if not isinstance(body, dict) or not isinstance(body.get("error"), str) or not body["error"] \
                or not set(body) <= {"error", "code", "details"}:
            return problems + [f"error body shape: {body!r}"]
        code = "UNAUTHORIZED" if want == 401 else "FORBIDDEN"
        if body.get("code") != code:
            problems.append(f"code {body.get('code')!r}, expected {code}")
    if not r.headers.get("X-Request-Id"):
        problems.append("no X-Request-Id")
    if leaks(cred.secret, r.text):
        problems.append("the credential is echoed in the response")
    www = r.headers.get("WWW-Authenticate")
    if want == 401:
        expected_www = WWW_INVALID if why == "invalid" else WWW_MISSING
        if www != expected_www:
            problems.append(f"WWW-Authenticate {www!r}, expected {expected_www!r}")
        if why == "invalid" and cred.reason and cred.reason not in body["error"]:
            problems.append(f"401 message does not say {cred.reason!r}: {body['error']!r}")
        if why == "missing" and f"{scope} scope" not in body["error"]:
            problems.append(f"401 message does not name the {scope} scope: {body['error']!r}")
    else:
        if why == "scope" and f"{scope} scope" not in body["error"]:
            problems.append(f"403 message does not name the {scope} scope: {body['error']!r}")
        if why == "prefix" and LIMITED_PREFIX not in body["error"]:
            problems.append(f"403 message does not name the prefix {LIMITED_PREFIX!r}: {body['error']!r}")
    return problems


@pytest.mark.parametrize("anonymous_read", [True, False], ids=["anonymous-read-on", "anonymous-read-off"])
def test_every_route_with_every_credential(matrix_servers, anonymous_read):
    server = matrix_servers[anonymous_read]
    assert server.creds, "setup made no credentials"
    mismatches = []
    passing_statuses = {}  # route -> {status: [credential labels]}: the handler sees the same request
    cells = 0
    for route, (scope, module_from) in EXPECTED_ROUTES.items():
        for cred in server.creds:
            if cred.inside and module_from not in ("path", "body"):
                continue  # the same request as the "outside" column
            module = server.module_in if cred.inside else server.module_out
            want, why = expected_outcome(scope, module_from, cred, anonymous_read)
            r = probe(server.session, server.proc.url, route, module, cred.headers())
            cells += 1
            for problem in check_cell(r, route, cred, want, why):
                mismatches.append((route, cred.label, f"{want}" + (f" ({why})" if why else ""), problem))
            if want == PASS and r.status_code not in (401, 403):
                passing_statuses.setdefault(route, {}).setdefault(r.status_code, []).append(cred.label)
    for route, by_status in passing_statuses.items():
        if len(by_status) > 1:
            detail = "; ".join(f"{status}: {', '.join(labels)}" for status, labels in sorted(by_status.items()))
            mismatches.append((route, "(passing credentials)", "one handler status", detail))
    if mismatches:
        widths = [max(len(str(m[i])) for m in mismatches) for i in range(3)]
        widths = [min(w, 60) for w in widths]
        lines = [f"{'route':<{widths[0]}}  {'credential':<{widths[1]}}  {'expected':<{widths[2]}}  got"]
        for m in mismatches:
            lines.append(f"{m[0]:<{widths[0]}}  {m[1]:<{widths[1]}}  {m[2]:<{widths[2]}}  {m[3]}")
        pytest.fail(f"{len(mismatches)} of {cells} cells wrong (SPOKE_AUTH_ANONYMOUS_READ="
                    f"{str(anonymous_read).lower()}):\n" + "\n".join(lines), pytrace=False)


def test_a_body_without_a_readable_name_reaches_the_handler(matrix_servers):
    """POST /modules: the gate checks the body's name against the prefixes; a body without one is
    the handler's 400, and a name outside the prefixes creates nothing."""
    server = matrix_servers[True]
    limited = next(c for c in server.creds if c.label == "write lim- (inside)")
    url = server.proc.url + "/modules"
    for kw in ({"json": {}}, {"json": {"name": 5}}, {"data": b"{not json", "headers": {}}):
        headers = {**limited.headers(), **kw.pop("headers", {}), "Content-Type": "application/json"}
        r = server.session.post(url, headers=headers, timeout=15, **kw)
        assert_error(r, 400)
    outside = unique("elsewhere")
    assert_error(server.session.post(url, headers=limited.headers(), json={"name": outside}, timeout=15), 403,
                 "FORBIDDEN")
    assert_error(server.admin.get(f"/modules/{outside}"), 404, "NOT_FOUND")
    # Two "name" members: whichever the gate reads, the handler refuses duplicates, so nothing is made.
    first, second = unique(LIMITED_PREFIX.rstrip("-")), unique("elsewhere")
    for a, b in ((first, second), (second, first)):
        data = f'{{"name": "{a}", "name": "{b}"}}'.encode()
        r = server.session.post(url, headers={**limited.headers(), "Content-Type": "application/json"}, data=data,
                                timeout=15)
        assert r.status_code in (400, 403), (r.status_code, r.text)
    for name in (first, second):
        assert_error(server.admin.get(f"/modules/{name}"), 404, "NOT_FOUND")
    inside = unique(LIMITED_PREFIX.rstrip("-"))
    r = server.session.post(url, headers=limited.headers(), json={"name": inside}, timeout=15)
    assert r.status_code == 201, (r.status_code, r.text)
    # The limited token pushes inside its prefix, and not outside it.
    files = [{"path": "lim/a.proto", "content": proto("lim.v1", "message A { string a = 1; }")}]
    r = server.session.post(f"{server.proc.url}/modules/{inside}/versions", headers=limited.headers(),
                            json={"version": "1.0.0", "files": files}, timeout=15)
    assert r.status_code == 201, (r.status_code, r.text)
    r = server.session.post(f"{server.proc.url}/modules/{server.module_out}/versions", headers=limited.headers(),
                            json={"version": "1.0.0", "files": files}, timeout=15)
    assert_error(r, 403, "FORBIDDEN")
    assert server.admin.versions(server.module_out) == []


# ---- the issue's repro ---------------------------------------------------------------------------
def user_file(fields):
    body = "message User {\n" + "".join(f"  {f}\n" for f in fields) + "}\n"
    return [{"path": "acme/user.proto", "content": proto("acme.v1", body)}]


def test_issue_repro_anonymous_config_change_is_refused(matrix_servers):
    """The issue: anyone could PUT /modules/{m}/config {"compatibility": "NONE"} and then push a
    breaking change. Now the PUT is 401, the level stays, and the breaking push is still 409."""
    server = matrix_servers[True]
    m = server.admin.new_module("repro")
    r = server.admin.post(f"/modules/{m}/versions",
                          json={"version": "1.0.0", "files": user_file(["string name = 1;", "int32 age = 2;"])})
    assert r.status_code == 201, (r.status_code, r.text)

    anonymous = server.proc.client(token=None)
    try:
        r = anonymous.put(f"/modules/{m}/config", json={"compatibility": "NONE"})
        assert_error(r, 401, "UNAUTHORIZED")
        assert r.headers.get("WWW-Authenticate") == WWW_MISSING
        # Neither read nor write credentials may change the level: it takes admin.
        for label in ("read token", "write token", "JWT read write"):
            cred = next(c for c in server.creds if c.label == label)
            r = anonymous.put(f"/modules/{m}/config", json={"compatibility": "NONE"}, headers=cred.headers())
            body = assert_error(r, 403, "FORBIDDEN")
            assert "admin scope" in body["error"], body
        r = anonymous.get(f"/modules/{m}/config")
        assert r.status_code == 200 and r.json() == {"compatibility": "BACKWARD"}, (r.status_code, r.text)

        write = next(c for c in server.creds if c.label == "write token")
        breaking = {"version": "1.1.0", "files": user_file(["string name = 1;", "string age = 2;"])}
        r = anonymous.post(f"/modules/{m}/versions", json=breaking, headers=write.headers())
        assert r.status_code == 409, (r.status_code, r.text)
        assert r.json()["code"] == "INCOMPATIBLE", r.text
        assert [v["version"] for v in server.admin.versions(m)] == ["1.0.0"]

        r = anonymous.get(f"/modules/{m}", headers={"Authorization": "Bearer totally-bogus"})
        assert_error(r, 401, "UNAUTHORIZED")
        assert r.headers.get("WWW-Authenticate") == WWW_INVALID
        assert "totally-bogus" not in r.text
        # Without the bogus header the same read passes (anonymous reads are on).
        assert anonymous.get(f"/modules/{m}").status_code == 200
    finally:
        anonymous.close()


def test_no_credential_reaches_the_logs(matrix_servers):
    """Every token and JWT the matrix sent stays out of the server's logs."""
    for server in matrix_servers.values():
        logs = server.proc.stdout() + server.proc.stderr()
        leaked = [c.label for c in server.creds if leaks(c.secret, logs)]
        assert not leaked, f"credentials in the logs of {server.proc.name}: {leaked}"
