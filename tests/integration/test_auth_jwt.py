"""JWT bearer tokens: RS256 / ES256 (PEM keys), HS256 (JWKS oct keys), JWKS with kid selection, the scope
and prefix claims, every way a token is refused (always 401, never echoing the token), the clock skew,
key reload on SIGHUP, and start-up with a bad JWT configuration."""

import base64
import hashlib
import hmac
import json
import signal
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from harness.spoke_api import assert_error, proto, unique
from harness.spoke_process import SpokeProcess

ISSUER = "https://issuer.jwt.test"
AUDIENCE = "spoke-jwt-tests"
WWW_INVALID = 'Bearer realm="spoke", error="invalid_token"'
HMAC_SECRET = b"0123456789abcdef0123456789abcdef-hs256-secret"
SIGHUP_TIMEOUT_S = 10.0


# ---- keys and tokens -----------------------------------------------------------------------------
def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n, length=None):
    return n.to_bytes(length or (n.bit_length() + 7) // 8, "big")


def public_pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def rsa_jwk(private_key, kid):
    numbers = private_key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url(int_bytes(numbers.n)),
            "e": b64url(int_bytes(numbers.e))}


def ec_jwk(private_key, kid):
    numbers = private_key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "crv": "P-256", "x": b64url(int_bytes(numbers.x, 32)),
            "y": b64url(int_bytes(numbers.y, 32))}


def oct_jwk(secret, kid):
    return {"kty": "oct", "kid": kid, "alg": "HS256", "k": b64url(secret)}


class Keys:
    def __init__(self):
        self.rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # configured nowhere
        self.ec1 = ec.generate_private_key(ec.SECP256R1())
        self.ec_stranger = ec.generate_private_key(ec.SECP256R1())


def claims(**over):
    """Valid claims (write scope, exp in 10 minutes); a value None drops the claim."""
    now = int(time.time())
    out = {"iss": ISSUER, "aud": AUDIENCE, "sub": "jwt-test-bot", "iat": now, "exp": now + 600,
           "scope": "read write"}
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


def sign(key, algorithm="RS256", kid=None, **over):
    return jwt.encode(claims(**over), key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def hand_made(header, payload, signature=b"", signature_part=True):
    """A token built without PyJWT (it refuses to make the bad ones)."""
    text = b64url(json.dumps(header)) + "." + b64url(json.dumps(payload))
    return text + ("." + b64url(signature) if signature_part else "")


def hs256_by_hand(secret, payload, kid=None):
    header = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = b64url(json.dumps(header)) + "." + b64url(json.dumps(payload))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---- servers -------------------------------------------------------------------------------------
def jwt_env(keys_path, **extra):
    env = {"SPOKE_AUTH_JWT_KEYS": str(keys_path), "SPOKE_AUTH_JWT_ISSUER": ISSUER,
           "SPOKE_AUTH_JWT_AUDIENCE": AUDIENCE, "SPOKE_AUTH_FAILURE_LIMIT": "0"}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def keys():
    return Keys()


def _module_server(spoke_bin, tmp_path_factory, name, key_text, filename):
    workdir = tmp_path_factory.mktemp(f"srv_auth_jwt_{name}")
    keys_path = workdir / filename
    keys_path.write_bytes(key_text)
    p = SpokeProcess(spoke_bin, workdir, env=jwt_env(keys_path), name=f"jwt-{name}")
    p.start()
    return p


def _stop(p):
    problems = p.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def pem_server(spoke_bin, tmp_path_factory, keys):
    """Keys from a PEM file: one RSA and one EC P-256 public key, neither with a kid."""
    p = _module_server(spoke_bin, tmp_path_factory, "pem", public_pem(keys.rsa1) + public_pem(keys.ec1),
                       "keys.pem")
    yield p
    _stop(p)


@pytest.fixture(scope="module")
def jwks_server(spoke_bin, tmp_path_factory, keys):
    """Keys from a JWKS: two RSA keys, one EC key and one HMAC secret, each with a kid."""
    doc = {"keys": [rsa_jwk(keys.rsa1, "rsa-1"), rsa_jwk(keys.rsa2, "rsa-2"), ec_jwk(keys.ec1, "ec-1"),
                    oct_jwk(HMAC_SECRET, "hs-1")]}
    p = _module_server(spoke_bin, tmp_path_factory, "jwks", json.dumps(doc).encode(), "jwks.json")
    yield p
    _stop(p)


def call(p, method, path, token=None, headers=None, **kw):
    h = dict(headers or {})
    if token is not None:
        h.update(bearer(token))
    return requests.request(method, p.url + path, headers=h, timeout=15, **kw)


def authenticated_as_admin(p, token):
    """GET /auth/tokens: 200 only for a credential that verifies and holds admin."""
    return call(p, "GET", "/auth/tokens", token)


def push_with(p, token, prefix="jwt"):
    """Creates a module and pushes a version with `token`; returns the module name."""
    m = unique(prefix)
    r = call(p, "POST", "/modules", token, json={"name": m})
    assert r.status_code == 201, (r.status_code, r.text)
    files = [{"path": "jwt/a.proto", "content": proto("jwt.v1", "message A { string a = 1; }")}]
    r = call(p, "POST", f"/modules/{m}/versions", token, json={"version": "1.0.0", "files": files})
    assert r.status_code == 201, (r.status_code, r.text)
    return m


def assert_refused(r, token):
    """401 invalid_token, the error body shape, and nothing of the token in the answer."""
    body = assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers.get("WWW-Authenticate") == WWW_INVALID, r.headers
    parts = [token] + [part for part in token.split(".") if len(part) > 8]
    echoed = [part[:20] + "..." for part in parts if part in r.text]
    assert not echoed, f"the response echoes the token: {echoed} in {r.text[:300]}"
    return body


# ---- valid tokens --------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_pem_keys_verify_rs256_and_es256_and_write_scope_pushes(pem_server, keys, algorithm):
    key = keys.rsa1 if algorithm == "RS256" else keys.ec1
    token = sign(key, algorithm)
    m = push_with(pem_server, token)
    r = call(pem_server, "GET", f"/modules/{m}/versions")
    assert [v["version"] for v in r.json()] == ["1.0.0"]
    # write is not admin.
    body = assert_error(authenticated_as_admin(pem_server, token), 403, "FORBIDDEN")
    assert "admin scope" in body["error"] and "jwt-test-bot" in body["error"], body
    # A key of the same kind that is not configured does not verify.
    stranger = keys.stranger if algorithm == "RS256" else keys.ec_stranger
    bad = sign(stranger, algorithm)
    assert_refused(call(pem_server, "GET", "/modules", bad), bad)


def test_jwks_oct_key_verifies_hs256(jwks_server):
    token = jwt.encode(claims(), HMAC_SECRET, algorithm="HS256", headers={"kid": "hs-1"})
    push_with(jwks_server, token)
    # Without a kid the HMAC key is still found (it is the only HS256 key).
    push_with(jwks_server, jwt.encode(claims(), HMAC_SECRET, algorithm="HS256"))
    wrong = jwt.encode(claims(), HMAC_SECRET + b"x", algorithm="HS256", headers={"kid": "hs-1"})
    assert_refused(call(jwks_server, "GET", "/modules", wrong), wrong)


def test_jwks_selects_the_key_by_kid(jwks_server, keys):
    for key, algorithm, kid in ((keys.rsa1, "RS256", "rsa-1"), (keys.rsa2, "RS256", "rsa-2"),
                                (keys.ec1, "ES256", "ec-1")):
        token = sign(key, algorithm, kid=kid, scope="admin")
        r = authenticated_as_admin(jwks_server, token)
        assert r.status_code == 200, (kid, r.status_code, r.text)
    # Without a kid, every key of the algorithm is tried.
    assert authenticated_as_admin(jwks_server, sign(keys.rsa2, scope="admin")).status_code == 200
    # The kid names the key: rsa-2's signature under kid rsa-1 does not verify, nor does an RS256
    # token naming the EC key.
    for token in (sign(keys.rsa2, kid="rsa-1", scope="admin"), sign(keys.rsa1, kid="ec-1", scope="admin"),
                  sign(keys.ec1, "ES256", kid="rsa-1", scope="admin")):
        assert_refused(authenticated_as_admin(jwks_server, token), token)


@pytest.mark.parametrize("scope", [["read", "write"], "read write", "openid write profile", ["email", "write"],
                                   "  write  "], ids=["array", "string", "string-with-others",
                                                      "array-with-others", "string-with-spaces"])
def test_scope_claim_as_array_or_string_grants_write(jwks_server, keys, scope):
    push_with(jwks_server, sign(keys.rsa1, kid="rsa-1", scope=scope))


@pytest.mark.parametrize("scope", ["read", ["read"], "", [], None, "writer", "Write"],
                         ids=["read", "read-array", "empty", "empty-array", "absent", "writer", "Write"])
def test_a_token_without_write_cannot_push(jwks_server, keys, scope):
    token = sign(keys.rsa1, kid="rsa-1", scope=scope)
    body = assert_error(call(jwks_server, "POST", "/modules", token, json={"name": unique("noscope")}), 403,
                        "FORBIDDEN")
    assert "write scope" in body["error"], body


def test_admin_scope_manages_tokens_and_includes_write(jwks_server, keys):
    token = sign(keys.rsa1, kid="rsa-1", scope=["admin"])
    assert authenticated_as_admin(jwks_server, token).status_code == 200
    push_with(jwks_server, token)


@pytest.mark.parametrize("prefix_claim", [["team-a-"], "team-a- team-b-"], ids=["array", "string"])
def test_prefix_claim_limits_writes(jwks_server, keys, prefix_claim):
    token = sign(keys.rsa1, kid="rsa-1", scope="admin", spoke_prefixes=prefix_claim)
    inside = push_with(jwks_server, token, prefix="team-a")
    assert inside.startswith("team-a-")
    outside = unique("team-c")
    body = assert_error(call(jwks_server, "POST", "/modules", token, json={"name": outside}), 403, "FORBIDDEN")
    assert "team-a-" in body["error"], body
    assert_error(call(jwks_server, "GET", f"/modules/{outside}"), 404, "NOT_FOUND")
    # A module made by an unlimited credential: the limited token may read it, not write it.
    other = push_with(jwks_server, sign(keys.rsa1, kid="rsa-1"), prefix="team-c")
    files = [{"path": "jwt/b.proto", "content": proto("jwt.v1", "message B { string b = 1; }")}]
    r = call(jwks_server, "POST", f"/modules/{other}/versions", token, json={"version": "2.0.0", "files": files})
    assert_error(r, 403, "FORBIDDEN")
    assert_error(call(jwks_server, "PUT", f"/modules/{other}/config", token, json={"compatibility": "NONE"}),
                 403, "FORBIDDEN")
    assert call(jwks_server, "GET", f"/modules/{other}/versions", token).status_code == 200
    # Limited to prefixes: no token management, even with admin.
    assert_error(authenticated_as_admin(jwks_server, token), 403, "FORBIDDEN")


def test_audience_may_be_an_array(jwks_server, keys):
    push_with(jwks_server, sign(keys.rsa1, kid="rsa-1", aud=["another-service", AUDIENCE]))
    token = sign(keys.rsa1, kid="rsa-1", aud=["another-service", "a-third"])
    assert_refused(call(jwks_server, "GET", "/modules", token), token)


# ---- time ----------------------------------------------------------------------------------------
def test_clock_skew_of_30_seconds_by_default(jwks_server, keys):
    now = int(time.time())
    lenient = [sign(keys.rsa1, kid="rsa-1", scope="admin", exp=now - 10, iat=now - 600),
               sign(keys.rsa1, kid="rsa-1", scope="admin", nbf=now + 10)]
    for token in lenient:
        r = authenticated_as_admin(jwks_server, token)
        assert r.status_code == 200, (jwt.decode(token, options={"verify_signature": False}), r.text)
    for token in (sign(keys.rsa1, kid="rsa-1", scope="admin", exp=now - 60, iat=now - 600),
                  sign(keys.rsa1, kid="rsa-1", scope="admin", nbf=now + 60)):
        assert_refused(authenticated_as_admin(jwks_server, token), token)


# ---- refusals ------------------------------------------------------------------------------------
def _oversized(keys):
    token = sign(keys.rsa1, kid="rsa-1", padding="x" * 9000)
    assert len(token) > 8192
    return token


REFUSED = {
    "expired": lambda k: sign(k.rsa1, kid="rsa-1", exp=int(time.time()) - 120, iat=int(time.time()) - 900),
    "nbf-in-the-future": lambda k: sign(k.rsa1, kid="rsa-1", nbf=int(time.time()) + 300),
    "wrong-issuer": lambda k: sign(k.rsa1, kid="rsa-1", iss="https://evil.test"),
    "no-issuer": lambda k: sign(k.rsa1, kid="rsa-1", iss=None),
    "wrong-audience": lambda k: sign(k.rsa1, kid="rsa-1", aud="another-service"),
    "no-audience": lambda k: sign(k.rsa1, kid="rsa-1", aud=None),
    "no-sub": lambda k: sign(k.rsa1, kid="rsa-1", sub=None),
    "empty-sub": lambda k: sign(k.rsa1, kid="rsa-1", sub=""),
    "no-exp": lambda k: sign(k.rsa1, kid="rsa-1", exp=None),
    "exp-not-a-number": lambda k: sign(k.rsa1, kid="rsa-1", exp="tomorrow"),
    "bad-signature": lambda k: sign(k.stranger, kid="rsa-1"),
    "bad-signature-no-kid": lambda k: sign(k.stranger),
    "tampered-payload": lambda k: _tampered(k),
    "alg-none-empty-signature": lambda k: hand_made({"alg": "none", "typ": "JWT"}, claims()),
    "alg-none-no-signature-part": lambda k: hand_made({"alg": "none", "typ": "JWT"}, claims(),
                                                      signature_part=False),
    "alg-none-with-signature": lambda k: hand_made({"alg": "none", "typ": "JWT"}, claims(), b"x" * 32),
    "alg-NoNe": lambda k: hand_made({"alg": "NoNe"}, claims()),
    "alg-RS512": lambda k: jwt.encode(claims(), k.rsa1, algorithm="RS512", headers={"kid": "rsa-1"}),
    "alg-HS512": lambda k: jwt.encode(claims(), HMAC_SECRET, algorithm="HS512", headers={"kid": "hs-1"}),
    "confusion-hs256-with-rsa-pem": lambda k: hs256_by_hand(public_pem(k.rsa1), claims()),
    "confusion-hs256-with-rsa-pem-kid": lambda k: hs256_by_hand(public_pem(k.rsa1), claims(), kid="rsa-1"),
    "unknown-kid": lambda k: sign(k.rsa1, kid="no-such-key"),
    "oversized": _oversized,
    "not-json": lambda k: b64url("not json") + "." + b64url("{}") + "." + b64url("sig"),
    "four-parts": lambda k: sign(k.rsa1, kid="rsa-1") + ".more",
}


def _tampered(keys):
    head, _, sig = sign(keys.rsa1, kid="rsa-1").split(".")
    return head + "." + b64url(json.dumps(claims(scope="admin", sub="someone-else"))) + "." + sig


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_token_is_401_even_for_an_anonymous_read(jwks_server, keys, case):
    token = REFUSED[case](keys)
    # Anonymous reads are on, and still a bad credential is refused, on reads and on writes.
    assert call(jwks_server, "GET", "/modules").status_code == 200
    assert_refused(call(jwks_server, "GET", "/modules", token), token)
    assert_refused(call(jwks_server, "POST", "/modules", token, json={"name": unique("refused")}), token)


def padded_token(keys, max_len):
    """The longest valid token (a padding claim) of at most max_len characters."""
    lo, hi = 0, max_len
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(sign(keys.rsa1, kid="rsa-1", scope="admin", padding="x" * mid)) <= max_len:
            lo = mid
        else:
            hi = mid - 1
    return sign(keys.rsa1, kid="rsa-1", scope="admin", padding="x" * lo), \
        sign(keys.rsa1, kid="rsa-1", scope="admin", padding="x" * (lo + 1))


def test_token_size_limit_is_8_kib(jwks_server, keys):
    largest, too_large = padded_token(keys, 8192)
    assert 8190 <= len(largest) <= 8192 < len(too_large), (len(largest), len(too_large))
    assert authenticated_as_admin(jwks_server, largest).status_code == 200
    body = assert_refused(authenticated_as_admin(jwks_server, too_large), too_large)
    assert "8192" in body["error"], body


@pytest.mark.parametrize("variant", ["file-bytes", "no-trailing-newline", "kid"])
def test_algorithm_confusion_with_the_pem_key_is_refused(pem_server, keys, variant):
    """HS256 signed with the RSA public key's PEM text as the HMAC secret: a server that let the
    token's header choose the algorithm would verify it with the key file's bytes."""
    pem = public_pem(keys.rsa1)
    secret = pem.rstrip(b"\n") if variant == "no-trailing-newline" else pem
    token = hs256_by_hand(secret, claims(scope="admin"), kid="anything" if variant == "kid" else None)
    assert_refused(authenticated_as_admin(pem_server, token), token)
    # The same claims properly signed pass: the refusal is about the algorithm.
    assert authenticated_as_admin(pem_server, sign(keys.rsa1, scope="admin")).status_code == 200


def test_no_token_reaches_the_logs(jwks_server, pem_server, keys):
    """Run last in this file: the signatures of the tokens used above are not in the servers' logs."""
    tokens = [sign(keys.rsa1, kid="rsa-1", scope="admin"), _oversized(keys)]
    for t in tokens:
        authenticated_as_admin(jwks_server, t)
    for p in (jwks_server, pem_server):
        logs = p.stdout() + p.stderr()
        assert "eyJ" not in logs, f"a JWT (or part of one) in the logs of {p.name}"
        for t in tokens:
            assert t.split(".")[2] not in logs


# ---- SIGHUP --------------------------------------------------------------------------------------
def wait_for_log(p, message, after):
    """The first log record with msg == message beyond the first `after` records."""
    deadline = time.monotonic() + SIGHUP_TIMEOUT_S
    while time.monotonic() < deadline:
        records = p.log_records()
        for rec in records[after:]:
            if rec.get("msg") == message:
                return rec
        time.sleep(0.05)
    raise AssertionError(f"no log record {message!r} within {SIGHUP_TIMEOUT_S}s:\n{p.stdout()[-3000:]}")


def test_sighup_reloads_the_keys_and_a_broken_file_keeps_the_old_ones(spawn_spoke, tmp_path, keys):
    keys_path = tmp_path / "rotating.pem"
    keys_path.write_bytes(public_pem(keys.rsa1))
    p = spawn_spoke(env=jwt_env(keys_path))
    old = sign(keys.rsa1, scope="admin")
    new = sign(keys.rsa2, scope="admin")
    assert authenticated_as_admin(p, old).status_code == 200
    assert_refused(authenticated_as_admin(p, new), new)

    # Rotation: the file now holds the new key only.
    keys_path.write_bytes(public_pem(keys.rsa2))
    assert_refused(authenticated_as_admin(p, new), new)  # nothing changes before the signal
    seen = len(p.log_records())
    p.signal(signal.SIGHUP)
    wait_for_log(p, "SIGHUP: JWT keys reloaded", seen)
    assert authenticated_as_admin(p, new).status_code == 200
    assert authenticated_as_admin(p, sign(keys.rsa2, scope="admin")).status_code == 200  # minted after
    assert_refused(authenticated_as_admin(p, old), old)

    # A broken file (and then a missing one) keeps the keys that work.
    for breakage in ("garbage", "empty-jwks", "missing"):
        if breakage == "missing":
            keys_path.unlink()
        else:
            keys_path.write_text("-----BEGIN PUBLIC KEY-----\nnot base64!\n" if breakage == "garbage"
                                 else '{"keys": []}')
        seen = len(p.log_records())
        p.signal(signal.SIGHUP)
        rec = wait_for_log(p, "SIGHUP: JWT keys not reloaded; the previous keys stay", seen)
        assert rec.get("level") == "error", rec
        assert p.running(), f"the server stopped after a SIGHUP with a {breakage} key file"
        assert authenticated_as_admin(p, new).status_code == 200, breakage
        assert_refused(authenticated_as_admin(p, old), old)
    assert requests.get(p.health_url + "/health/ready", timeout=5).status_code == 200

    # Back to a good file with both keys: both verify.
    keys_path.write_bytes(public_pem(keys.rsa1) + public_pem(keys.rsa2))
    seen = len(p.log_records())
    p.signal(signal.SIGHUP)
    wait_for_log(p, "SIGHUP: JWT keys reloaded", seen)
    assert authenticated_as_admin(p, old).status_code == 200
    assert authenticated_as_admin(p, new).status_code == 200


# ---- start-up ------------------------------------------------------------------------------------
def start_and_fail(spawn_spoke, env):
    p = spawn_spoke(env=env, start=False)
    p.spawn()
    rc = p.wait_exit(30)
    assert rc is not None, f"the server did not exit:\n{p.describe_logs()}"
    assert rc != 0, f"the server exited with 0:\n{p.describe_logs()}"
    return rc, p.stdout() + p.stderr(), p.stderr()


def test_start_up_fails_with_a_missing_keys_file(spawn_spoke, tmp_path):
    missing = tmp_path / "no-such-keys.pem"
    rc, output, _ = start_and_fail(spawn_spoke, jwt_env(missing))
    assert "SPOKE_AUTH_JWT_KEYS" in output and str(missing) in output, output
    assert "No such file" in output or "cannot open" in output, output


def test_start_up_fails_with_a_keys_file_of_no_keys(spawn_spoke, tmp_path):
    path = tmp_path / "empty.pem"
    path.write_text("nothing here\n")
    rc, output, _ = start_and_fail(spawn_spoke, jwt_env(path))
    assert "SPOKE_AUTH_JWT_KEYS" in output and "BEGIN PUBLIC KEY" in output, output


@pytest.mark.parametrize("dropped", ["SPOKE_AUTH_JWT_AUDIENCE", "SPOKE_AUTH_JWT_ISSUER"])
def test_start_up_fails_with_keys_but_no_audience_or_issuer(spawn_spoke, tmp_path, keys, dropped):
    path = tmp_path / "keys.pem"
    path.write_bytes(public_pem(keys.rsa1))
    env = jwt_env(path)
    del env[dropped]
    rc, _, stderr = start_and_fail(spawn_spoke, env)
    assert rc == 2, rc
    naming = [line for line in stderr.splitlines() if dropped in line]
    assert len(naming) == 1 and "SPOKE_AUTH_JWT_KEYS" in naming[0], stderr
