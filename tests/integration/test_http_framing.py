"""HTTP/1.1 message framing on the API port, byte by byte: every ambiguous or malformed request is
refused with 400 (a JSON error, code BAD_REQUEST, `Connection: close`) and the connection is closed,
so a request pipelined behind the bad one in the same send is never answered (no request smuggling,
no desynchronised connection)."""

import time

import pytest

from harness.raw_http import RawConnection, assert_http_error
from harness.spoke_api import SpokeClient, scrape_metrics, metric
from harness.spoke_process import HOST

PROTO = b'{"content": "syntax = \\"proto3\\"; message A {}"}'
# Pipelined behind every bad request: it must never be answered.
FOLLOW = b"GET /modules HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: must-not-be-answered\r\n\r\n"


def post(headers, body=b"", target=b"/validate"):
    return b"POST " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n" + body


def get(target, extra=b""):
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n"


CHUNKED_PROTO = b"%x\r\n" % len(PROTO) + PROTO + b"\r\n0\r\n\r\n"

BAD_400 = {
    # Content-Length
    "cl-two-different-values": post(b"Content-Length: 2\r\nContent-Length: 3\r\n", b"{} "),
    "cl-two-identical-values": post(b"Content-Length: 2\r\nContent-Length: 2\r\n", b"{}"),
    "cl-list-in-one-header": post(b"Content-Length: 2, 2\r\n", b"{}"),
    "cl-non-numeric": post(b"Content-Length: two\r\n", b"{}"),
    "cl-negative": post(b"Content-Length: -2\r\n", b"{}"),
    "cl-plus-sign": post(b"Content-Length: +2\r\n", b"{}"),
    "cl-hex": post(b"Content-Length: 0x2\r\n", b"{}"),
    "cl-empty": post(b"Content-Length: \r\n", b"{}"),
    "cl-and-te": post(b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(CHUNKED_PROTO),
                      CHUNKED_PROTO),
    "te-and-cl": post(b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(CHUNKED_PROTO),
                      CHUNKED_PROTO),
    # whitespace between a field name and its colon
    "te-space-before-colon": post(b"Transfer-Encoding : chunked\r\n", CHUNKED_PROTO),
    "cl-space-before-colon": post(b"Content-Length : 2\r\n", b"{}"),
    "cl-tab-before-colon": post(b"Content-Length\t: 2\r\n", b"{}"),
    # obsolete line folding
    "obs-fold-space": get(b"/modules", b"X-Note: a\r\n b\r\n"),
    "obs-fold-tab": get(b"/modules", b"X-Note: a\r\n\tb\r\n"),
    "obs-fold-of-content-length": post(b"Content-Length:\r\n 2\r\n", b"{}"),
    # chunk sizes and chunk framing (400, not 413)
    "chunk-size-not-hex": post(b"Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n"),
    "chunk-size-overflow": post(b"Transfer-Encoding: chunked\r\n", b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n"),
    "chunk-size-overflow-long": post(b"Transfer-Encoding: chunked\r\n",
                                     b"1" + b"0" * 40 + b"\r\n{}\r\n0\r\n\r\n"),
    "chunk-data-without-crlf": post(b"Transfer-Encoding: chunked\r\n", b"2\r\n{}XX0\r\n\r\n"),
    "chunk-size-negative": post(b"Transfer-Encoding: chunked\r\n", b"-2\r\n{}\r\n0\r\n\r\n"),
    # control characters in field names and values
    "nul-in-header-name": get(b"/modules", b"X-F\x00oo: a\r\n"),
    "nul-in-header-value": get(b"/modules", b"X-Foo: a\x00b\r\n"),
    "soh-in-header-name": get(b"/modules", b"X-F\x01oo: a\r\n"),
    "soh-in-header-value": get(b"/modules", b"X-Foo: a\x01b\r\n"),
    "del-in-header-value": get(b"/modules", b"X-Foo: a\x7fb\r\n"),
    "esc-in-header-value": get(b"/modules", b"X-Foo: a\x1bb\r\n"),
    # line endings other than CRLF
    "bare-lf-after-request-line": b"GET /modules HTTP/1.1\nHost: 127.0.0.1\r\n\r\n",
    "bare-lf-after-header": b"GET /modules HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n",
    "bare-lf-everywhere": b"GET /modules HTTP/1.1\nHost: 127.0.0.1\n\n",
    "bare-cr-after-request-line": b"GET /modules HTTP/1.1\rHost: 127.0.0.1\r\n\r\n",
    "bare-cr-in-header-value": get(b"/modules", b"X-A: a\rb\r\n"),
    # percent-decoding of the target
    "nul-escape-in-path": get(b"/modules/a%00b"),
    "bad-escape-in-path": get(b"/modules/%zz"),
    "nul-escape-in-query-value": get(b"/modules?prefix=a%00b"),
    "bad-escape-in-query-value": get(b"/modules?prefix=%zz"),
    "truncated-escape-in-query-value": get(b"/modules?prefix=a%4"),
}

# Transfer-Encoding other than exactly `chunked`: 400, or 501 for a coding the server does not
# implement; either way the message cannot be framed, so the connection is closed.
BAD_TE = {
    "te-gzip": post(b"Transfer-Encoding: gzip\r\n", b"{}"),
    "te-chunked-then-gzip": post(b"Transfer-Encoding: chunked, gzip\r\n", CHUNKED_PROTO),
    "te-gzip-then-chunked": post(b"Transfer-Encoding: gzip, chunked\r\n", CHUNKED_PROTO),
    "te-identity": post(b"Transfer-Encoding: identity\r\n", b"{}"),
}


def assert_refused_and_closed(port, raw, statuses=(400,), code="BAD_REQUEST"):
    with RawConnection(HOST, port) as c:
        c.send(raw + FOLLOW)
        r = c.read_response()
        assert r.status in statuses, f"expected {statuses}, got {r!r}"
        body = assert_http_error(r, r.status)
        if r.status == 400:
            assert body["code"] == code, body
        elif r.status == 501:
            assert body["code"] == "NOT_IMPLEMENTED", body
        assert "close" in r.connection_tokens, f"no Connection: close on {r!r}"
        assert r.header("x-request-id") != "must-not-be-answered", r
        extra = c.wait_closed(3)
        assert extra == b"", f"the server answered the request pipelined behind the bad one: {extra[:300]!r}"


@pytest.mark.parametrize("name", sorted(BAD_400))
def test_malformed_request_is_400_and_closes(module_spoke, name):
    assert_refused_and_closed(module_spoke.port, BAD_400[name])


@pytest.mark.parametrize("name", sorted(BAD_TE))
def test_transfer_encoding_other_than_chunked_is_refused_and_closes(module_spoke, name):
    assert_refused_and_closed(module_spoke.port, BAD_TE[name], statuses=(400, 501))


# ---- controls: the same shapes, well-formed, are served and keep the connection usable ------------

GOOD = {
    "content-length-body": post(b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(PROTO), PROTO),
    "chunked-body": post(b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", CHUNKED_PROTO),
    "chunked-body-split-in-chunks": post(
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
        b"".join(b"%x\r\n" % len(PROTO[i:i + 7]) + PROTO[i:i + 7] + b"\r\n" for i in range(0, len(PROTO), 7))
        + b"0\r\n\r\n"),
    "chunk-extension-and-upper-hex": post(
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
        b"%X;name=value\r\n" % len(PROTO) + PROTO + b"\r\n0\r\n\r\n"),
    "tab-in-header-value": get(b"/modules", b"X-Note: a\tb\r\n"),
    "escaped-query-value": get(b"/modules?prefix=a%2Db"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_well_formed_request_is_served_and_connection_stays_usable(module_spoke, name):
    with RawConnection(HOST, module_spoke.port) as c:
        c.send(GOOD[name] + FOLLOW)
        first = c.read_response()
        assert first.status == 200, first
        second = c.read_response()
        assert second.status == 200, second
        assert second.header("x-request-id") == "must-not-be-answered", second


def test_protocol_errors_are_counted(module_spoke):
    health = SpokeClient(module_spoke.health_url)
    try:
        before = metric(scrape_metrics(health), "spoke_http_protocol_errors_total")
        for name in ("cl-two-different-values", "bare-lf-everywhere"):
            assert_refused_and_closed(module_spoke.port, BAD_400[name])
        deadline = time.monotonic() + 2
        while True:
            after = metric(scrape_metrics(health), "spoke_http_protocol_errors_total")
            if after - before >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert after - before >= 2, f"spoke_http_protocol_errors_total went {before} -> {after}"
    finally:
        health.close()
