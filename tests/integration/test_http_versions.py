"""HTTP versions, persistence, Host, request-target forms, methods, Expect: 100-continue and HEAD on
the API port, over raw sockets. Every error the HTTP layer itself produces is a JSON error body."""

import json

import pytest

from harness.raw_http import RawConnection, assert_http_error, build_request
from harness.spoke_process import HOST

VALIDATE_BODY = b'{"content": "syntax = \\"proto3\\"; package v; message A {}"}'


def conn(server, **kw):
    return RawConnection(HOST, server.port, **kw)


# ---- persistence --------------------------------------------------------------------------------

def test_http10_without_connection_header_is_closed_after_the_response(module_spoke):
    with conn(module_spoke) as c:
        c.send(b"GET /modules HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        assert r.version in ("HTTP/1.0", "HTTP/1.1"), r
        assert "keep-alive" not in r.connection_tokens, r
        assert c.wait_closed(3) == b""


def test_http10_keep_alive_keeps_the_connection_open(module_spoke):
    with conn(module_spoke) as c:
        for i in range(3):
            c.send(f"GET /modules HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-Id: ka-{i}\r\n\r\n")
            r = c.read_response()
            assert r.status == 200, r
            assert r.header("x-request-id") == f"ka-{i}", r
            assert "keep-alive" in r.connection_tokens, f"an HTTP/1.0 client needs Connection: keep-alive: {r!r}"


def test_http11_keeps_the_connection_open_by_default(module_spoke):
    with conn(module_spoke) as c:
        for i in range(3):
            c.request("GET", "/modules", {"X-Request-Id": f"d-{i}"})
            r = c.read_response()
            assert r.status == 200, r
            assert r.header("x-request-id") == f"d-{i}", r
            assert "close" not in r.connection_tokens, r
        assert not c.readable_within(0.3), "the server closed (or sent more) on an idle HTTP/1.1 connection"


def test_http11_connection_close_is_honoured(module_spoke):
    with conn(module_spoke) as c:
        c.request("GET", "/modules", {"Connection": "close"})
        r = c.read_response()
        assert r.status == 200, r
        assert "close" in r.connection_tokens, r
        assert c.wait_closed(3) == b""


# ---- versions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["HTTP/1.7", "HTTP/2.0", "HTTP/0.9", "HTTP/3.0"])
def test_unsupported_http_version_is_505(module_spoke, version):
    with conn(module_spoke) as c:
        c.request("GET", "/modules", version=version)
        r = c.read_response()
        assert r.raw_head.startswith(b"HTTP/1.1 505 "), r.raw_head[:100]
        assert_http_error(r, 505, "HTTP_VERSION_NOT_SUPPORTED")


def test_http09_simple_request_line_is_505(module_spoke):
    with conn(module_spoke) as c:
        c.send(b"GET /modules\r\n\r\n")
        r = c.read_response()
        assert r.raw_head.startswith(b"HTTP/1.1 505 "), r.raw_head[:100]
        assert_http_error(r, 505, "HTTP_VERSION_NOT_SUPPORTED")


# ---- Host ---------------------------------------------------------------------------------------

def test_http11_without_host_is_400(module_spoke):
    with conn(module_spoke) as c:
        c.send(b"GET /modules HTTP/1.1\r\n\r\n")
        assert_http_error(c.read_response(), 400, "BAD_REQUEST")


def test_http11_with_two_host_headers_is_400(module_spoke):
    with conn(module_spoke) as c:
        c.send(b"GET /modules HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n")
        assert_http_error(c.read_response(), 400, "BAD_REQUEST")


def test_http10_without_host_is_served(module_spoke):
    with conn(module_spoke) as c:
        c.send(b"GET /modules HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r


# ---- request-target forms -----------------------------------------------------------------------

def test_absolute_form_target_is_served_like_origin_form(module_spoke):
    with conn(module_spoke) as c:
        c.request("GET", "/api/v1/languages")
        origin = c.read_response()
        assert origin.status == 200, origin
        c.request("GET", f"http://{HOST}:{module_spoke.port}/api/v1/languages")
        absolute = c.read_response()
        assert absolute.status == 200, absolute
        assert absolute.json() == origin.json()
        c.request("GET", f"http://{HOST}:{module_spoke.port}/modules?limit=1")
        r = c.read_response()
        assert r.status == 200, r
        assert r.json() == [] or len(r.json()) == 1, r


# ---- methods ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["BREW", "FOO"])
def test_unknown_method_is_501(module_spoke, method):
    with conn(module_spoke) as c:
        c.request(method, "/modules")
        assert_http_error(c.read_response(), 501, "NOT_IMPLEMENTED")


def test_known_method_not_routed_is_405_with_allow(module_spoke):
    with conn(module_spoke) as c:
        c.request("DELETE", "/modules")
        r = c.read_response()
        assert_http_error(r, 405)
        allow = {m.strip() for m in (r.header("allow") or "").split(",")}
        assert {"GET", "POST"} <= allow, r


def test_head_has_the_get_headers_and_no_body_and_pipelining_continues(module_spoke):
    with conn(module_spoke) as c:
        c.request("GET", "/api/v1/languages")
        get = c.read_response()
        assert get.status == 200 and len(get.body) > 0, get
        c.send(build_request("HEAD", "/api/v1/languages", {"X-Request-Id": "h1"}, host=c.authority)
               + build_request("GET", "/api/v1/languages", {"X-Request-Id": "g2"}, host=c.authority))
        head = c.read_response(head_request=True)
        assert head.status == 200, head
        assert head.header("x-request-id") == "h1", head
        assert head.header("content-length") == str(len(get.body)), (head, len(get.body))
        assert (head.header("content-type") or "").startswith("application/json"), head
        after = c.read_response()
        assert after.status == 200, after
        assert after.header("x-request-id") == "g2", after
        assert after.body == get.body


# ---- Expect: 100-continue ----------------------------------------------------------------------

def test_expect_100_continue_before_the_body(module_spoke):
    with conn(module_spoke) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"), ("Expect", "100-continue"),
                                        ("Content-Length", str(len(VALIDATE_BODY)))])
        interim = c.read_response(timeout_s=2)
        assert interim.status == 100, interim
        assert interim.raw_head.startswith(b"HTTP/1.1 100 "), interim.raw_head
        c.send(VALIDATE_BODY)
        final = c.read_response()
        assert final.status == 200, final
        assert final.json()["valid"] is True, final


def test_expect_100_continue_with_a_body_over_the_limit_is_413_at_once(module_spoke):
    max_body = 4 * 1024 * 1024  # the harness' SPOKE_MAX_BODY
    with conn(module_spoke) as c:
        c.request("POST", "/validate", [("Content-Type", "application/json"), ("Expect", "100-continue"),
                                        ("Content-Length", str(max_body + 1))])
        r = c.read_response(timeout_s=2)
        assert r.status != 100, "100 Continue for a body that is over SPOKE_MAX_BODY"
        assert_http_error(r, 413, "PAYLOAD_TOO_LARGE")
        assert "close" in r.connection_tokens, r
        assert c.wait_closed(3) == b""


# ---- error bodies of the HTTP layer -------------------------------------------------------------

def test_error_bodies_of_the_http_layer_are_json(module_spoke):
    """A spot check over several layer-produced errors (the cases above check their own)."""
    cases = [
        (b"GET /modules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n", 400),
        (b"BREW /modules HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
        (b"GET /modules HTTP/4.0\r\nHost: 127.0.0.1\r\n\r\n", 505),
        (b"GET /no/such/route HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    ]
    for raw, status in cases:
        with conn(module_spoke) as c:
            c.send(raw)
            r = c.read_response()
            body = assert_http_error(r, status)
            assert set(body) <= {"error", "code", "details"}, body
            json.dumps(body)
