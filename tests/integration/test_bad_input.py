"""Hostile and malformed pushes: each gets its precise status and code, and nothing of it is stored."""

import json
import re

import pytest

from harness.raw_http import raw_request
from harness.spoke_api import assert_error, proto, unique
from harness.spoke_process import HOST

GOOD = proto("bad", "message A {}")
MiB = 1 << 20


def body(files=None, version="1.0.0", **extra):
    b = {"version": version, "files": files if files is not None else [{"path": "a.proto", "content": GOOD}]}
    b.update(extra)
    return b


def assert_nothing_stored(api, module):
    r = api.get(f"/modules/{module}/versions")
    assert r.status_code == 200, r.text
    assert r.json() == [], r.text
    assert_error(api.get(f"/modules/{module}/versions/1.0.0"), 404, "NOT_FOUND")
    m = api.get(f"/modules/{module}").json()
    assert m["version_count"] == 0 and m["latest_version"] is None, m


def assert_push_still_works(api, module):
    r = api.post(f"/modules/{module}/versions", json=body())
    assert r.status_code == 201, r.text


RAW_CASES = {
    "truncated-json": b'{"version": "1.0.0", "files": [',
    "not-json": b"version=1.0.0",
    "trailing-garbage": json.dumps(body()).encode() + b" x",
    "json-array": b"[]",
    "json-string": b'"hello"',
    "empty-body": b"",
    "deep-json": b'{"version": "1.0.0", "files": ' + b"[" * 10000 + b"]" * 10000 + b"}",
    "invalid-utf8-in-content": b'{"version": "1.0.0", "files": [{"path": "a.proto", "content": "syntax = \\"proto3\\"; // \xff\xfe\xc3("}]}',
    "invalid-utf8-in-path": b'{"version": "1.0.0", "files": [{"path": "a\xc0\xaf.proto", "content": "syntax = \\"proto3\\";"}]}',
    "nul-escape-in-content": b'{"version": "1.0.0", "files": [{"path": "a.proto", "content": "syntax = \\"proto3\\";\\u0000"}]}',
    "lone-surrogate-in-content": b'{"version": "1.0.0", "files": [{"path": "a.proto", "content": "\\ud800"}]}',
}


@pytest.mark.parametrize("name", sorted(RAW_CASES))
def test_malformed_body_is_400(api, name):
    m = api.new_module("raw")
    assert_error(api.post_raw(f"/modules/{m}/versions", RAW_CASES[name]), 400, "BAD_REQUEST")
    assert_nothing_stored(api, m)
    assert_push_still_works(api, m)


# The parser's own wording names its options (JSON_ALLOW_NUL...); replies say it in our words.
LIBRARY_WORDS = ("JSON_", "jansson", "json_", "protobuf")
BAD_JSON_BODIES = {
    "nul-in-string": (b'{"name": "a\\u0000b"}', "NUL character"),
    "nul-in-key": (b'{"na\\u0000me": "abc"}', "NUL character"),
    "truncated": (b'{"name": "abc"', "ends before"),
    "trailing-text": (b'{"name": "abc"} x', "more text after"),
    "duplicate-key": (b'{"name": "abc", "name": "abd"}', "same key twice"),
    "invalid-utf8": (b'{"name": "\xff"}', "UTF-8"),
    "number-overflow": (b'{"name": "abc", "n": 1e999}', "too large"),
    "bad-token": (b'{"name": tru}', "malformed"),
    "deep": (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(BAD_JSON_BODIES))
def test_bad_json_error_names_no_library(api, name):
    data, phrase = BAD_JSON_BODIES[name]
    for path in ["/modules", f"/modules/{api.new_module('badjson')}/versions", "/validate"]:
        e = assert_error(api.post_raw(path, data), 400, "BAD_REQUEST")
        message = e["error"]
        assert message.startswith("the request body is not valid JSON: "), message
        assert phrase in message, message
        assert re.search(r"at line [1-9][0-9]*, column [1-9][0-9]*$", message), message
        for word in LIBRARY_WORDS:
            assert word.lower() not in message.lower(), message


def test_nul_in_json_string_says_where(api):
    e = assert_error(api.post_raw("/modules", b'{"name": "a\\u0000b"}'), 400, "BAD_REQUEST")
    assert e["error"] == ("the request body is not valid JSON: a string contains a NUL character "
                          "(\\u0000) at line 1, column 19"), e


JSON_CASES = {
    "version-number": {"version": 1, "files": [{"path": "a.proto", "content": GOOD}]},
    "version-missing": {"files": [{"path": "a.proto", "content": GOOD}]},
    "files-missing": {"version": "1.0.0"},
    "files-string": body(files="a.proto"),
    "files-object": body(files={"path": "a.proto", "content": GOOD}),
    "file-not-object": body(files=["a.proto"]),
    "path-number": body(files=[{"path": 1, "content": GOOD}]),
    "content-null": body(files=[{"path": "a.proto", "content": None}]),
    "content-missing": body(files=[{"path": "a.proto"}]),
    "dependencies-string": body(dependencies="x@1.0.0"),
    "dependency-number": body(dependencies=[5]),
    "dependency-malformed": body(dependencies=["no-at-sign"]),
    "dependency-bad-version": body(dependencies=["other@1.0"]),
    "dependency-bad-module": body(dependencies=["Other@1.0.0"]),
    "source-info-string": body(source_info="github"),
    "empty-file-list": body(files=[]),
    "version-empty": body(version=""),
    "version-short": body(version="1.0"),
    "version-latest": body(version="latest"),
    "version-leading-zero": body(version="01.0.0"),
    "version-dangling-dash": body(version="1.0.0-"),
    "version-words": body(version="one"),
    "version-too-long": body(version="1.0.0-" + "a" * 95),
    "version-double-v": body(version="vv1.0.0"),
    "path-parent": body(files=[{"path": "../x.proto", "content": GOOD}]),
    "path-parent-inside": body(files=[{"path": "a/../../x.proto", "content": GOOD}]),
    "path-absolute": body(files=[{"path": "/etc/x.proto", "content": GOOD}]),
    "path-backslash": body(files=[{"path": "a\\b.proto", "content": GOOD}]),
    "path-backslash-parent": body(files=[{"path": "..\\x.proto", "content": GOOD}]),
    "path-nul": body(files=[{"path": "a\u0000.proto", "content": GOOD}]),
    "path-newline": body(files=[{"path": "a\n.proto", "content": GOOD}]),
    "path-not-proto": body(files=[{"path": "a.txt", "content": GOOD}]),
    "path-only-suffix": body(files=[{"path": ".proto", "content": GOOD}]),
    "path-empty": body(files=[{"path": "", "content": GOOD}]),
    "path-dot-segment": body(files=[{"path": "./a.proto", "content": GOOD}]),
    "path-double-slash": body(files=[{"path": "a//b.proto", "content": GOOD}]),
    "path-too-long": body(files=[{"path": "d/" * 255 + "ab.proto", "content": GOOD}]),
    "duplicate-paths": body(files=[{"path": "a.proto", "content": GOOD}, {"path": "a.proto", "content": GOOD}]),
    "nul-in-content": body(files=[{"path": "a.proto", "content": GOOD + "\u0000"}]),
}


@pytest.mark.parametrize("name", sorted(JSON_CASES))
def test_bad_push_is_400_and_stores_nothing(api, name):
    m = api.new_module("bad")
    assert_error(api.post(f"/modules/{m}/versions", json=JSON_CASES[name]), 400, "BAD_REQUEST")
    assert_nothing_stored(api, m)
    assert_push_still_works(api, m)


def test_path_length_limit_is_512_bytes(api):
    m = api.new_module("plen")
    ok_path = "d/" * 251 + "abcd.proto"
    assert len(ok_path) == 512
    r = api.push(m, "1.0.0", {ok_path: GOOD})
    assert r.status_code == 201, r.text
    bad_path = "d/" * 251 + "abcde.proto"
    assert len(bad_path) == 513
    assert_error(api.push(m, "2.0.0", {bad_path: GOOD}), 400, "BAD_REQUEST")


def test_bad_module_name_in_route_is_400(api):
    for bad in ["Upper", "1abc", "a%20b"]:
        assert_error(api.post(f"/modules/{bad}/versions", json=body()), 400, "BAD_REQUEST")


def test_error_names_the_bad_file(api):
    m = api.new_module("names")
    files = [{"path": "ok.proto", "content": GOOD}, {"path": "../evil.proto", "content": GOOD}]
    e = assert_error(api.post(f"/modules/{m}/versions", json=body(files=files)), 400, "BAD_REQUEST")
    assert "../evil.proto" in e["error"], e


def test_parse_error_is_422_with_line_and_column(api):
    m = api.new_module("parse")
    bad = 'syntax = "proto3";\npackage p;\nmessage M {\n  int32 x = ;\n}\n'
    files = [{"path": "ok.proto", "content": GOOD}, {"path": "dir/bad.proto", "content": bad}]
    e = assert_error(api.post(f"/modules/{m}/versions", json=body(files=files)), 422, "INVALID_PROTO")
    assert isinstance(e.get("details"), list) and e["details"], e
    d = e["details"][0]
    assert set(d) >= {"file", "line", "column", "message"}, d
    assert (d["file"], d["line"], d["column"]) == ("dir/bad.proto", 4, 13), d
    assert "field number" in d["message"], d
    assert_nothing_stored(api, m)


def test_link_error_is_422_with_position(api):
    m = api.new_module("link")
    bad = 'syntax = "proto3";\npackage p;\nmessage M {\n  Missing x = 1;\n}\n'
    e = assert_error(api.push(m, "1.0.0", {"l.proto": bad}), 422, "INVALID_PROTO")
    d = e["details"][0]
    assert (d["file"], d["line"], d["column"]) == ("l.proto", 4, 3), d
    assert "Missing" in d["message"], d
    assert_nothing_stored(api, m)


def test_duplicate_symbol_across_files_is_422(api):
    m = api.new_module("dupsym")
    files = {"a.proto": proto("same", "message X {}"), "b.proto": proto("same", "message X {}")}
    e = assert_error(api.push(m, "1.0.0", files), 422, "INVALID_PROTO")
    assert any(d["file"] in ("a.proto", "b.proto") for d in e["details"]), e
    assert_nothing_stored(api, m)


def test_unresolved_import_is_422(api):
    m = api.new_module("unres")
    files = {"a.proto": proto("unres", "message A {}", ["missing/dep.proto"])}
    e = assert_error(api.push(m, "1.0.0", files), 422, "UNRESOLVED_IMPORT")
    assert "missing/dep.proto" in e["error"], e
    assert "a.proto" in e["error"], e
    assert_nothing_stored(api, m)


def test_unknown_dependency_module_is_422(api):
    m = api.new_module("unk")
    ghost = unique("ghost")
    e = assert_error(api.push(m, "1.0.0", {"a.proto": GOOD}, dependencies=[f"{ghost}@1.0.0"]),
                     422, "UNKNOWN_DEPENDENCY")
    assert ghost in e["error"], e
    assert_nothing_stored(api, m)


def test_unknown_dependency_version_is_422(api):
    m, dep = api.new_module("unkv"), api.new_module("dep")
    api.push_ok(dep, "1.0.0", {"d.proto": proto("dep", "message D {}")})
    e = assert_error(api.push(m, "1.0.0", {"a.proto": GOOD}, dependencies=[f"{dep}@2.0.0"]),
                     422, "UNKNOWN_DEPENDENCY")
    assert f"{dep}@2.0.0" in e["error"], e
    assert_error(api.push(m, "1.0.0", {"a.proto": GOOD}, dependencies=[f"{api.new_module('nov')}@latest"]),
                 422, "UNKNOWN_DEPENDENCY")
    assert_nothing_stored(api, m)


def test_two_providers_of_one_import_path_is_422(api):
    m, dep = api.new_module("twoprov"), api.new_module("prov")
    api.push_ok(dep, "1.0.0", {"shared/s.proto": proto("prov", "message S {}")})
    files = {"shared/s.proto": proto("mine", "message S {}"),
             "a.proto": proto("mine2", "message A {}", ["shared/s.proto"])}
    assert_error(api.push(m, "1.0.0", files, dependencies=[f"{dep}@1.0.0"]), 422, "INVALID_PROTO")
    assert_nothing_stored(api, m)


def test_self_dependency_is_400(api):
    m = api.new_module("self")
    assert_error(api.push(m, "1.0.0", {"a.proto": GOOD}, dependencies=[f"{m}@1.0.0"]), 400, "BAD_REQUEST")


def test_file_over_one_mib_is_413(api):
    m = api.new_module("big")
    content = "//" + "x" * (MiB - 2) + "\n"
    assert len(content) == MiB + 1
    assert_error(api.push(m, "1.0.0", {"big.proto": content}), 413, "PAYLOAD_TOO_LARGE")
    assert_nothing_stored(api, m)
    # Exactly 1 MiB is allowed.
    exact = "//" + "x" * (MiB - 3) + "\n"
    assert len(exact) == MiB
    r = api.push(m, "1.0.0", {"big.proto": exact})
    assert r.status_code == 201, r.text[:300]


def test_body_over_max_body_is_413(api, module_spoke):
    m = api.new_module("huge")
    # SPOKE_MAX_BODY is 4 MiB for this server; five files just under the per-file cap.
    files = [{"path": f"f{i}.proto", "content": "//" + "y" * (MiB - 100) + "\n"} for i in range(5)]
    data = json.dumps(body(files=files)).encode()
    assert len(data) > 4 * MiB
    r = raw_request(HOST, module_spoke.port, "POST", f"/modules/{m}/versions", data,
                    headers={"Content-Type": "application/json", **module_spoke.auth_headers()})
    assert r.status_code == 413, r.text[:300]
    # libevent 2.1 refuses the body before any handler runs and writes this one response itself
    # (an HTML page, documented in docs/api.md); what we control is that nothing is buffered or
    # stored and the connection is closed.
    assert r.headers.get("connection", "").lower() == "close", r.headers
    assert_nothing_stored(api, m)
    assert api.get("/modules").status_code == 200


def test_deep_nesting_is_422_and_server_survives(api, health):
    m = api.new_module("deep")
    depth = 10000
    content = 'syntax = "proto3";\nmessage M {\n' + "message N {" * (depth - 1) + "}" * depth + "\n"
    e = assert_error(api.push(m, "1.0.0", {"deep.proto": content}), 422, "INVALID_PROTO")
    d = e["details"][0]
    # libprotobuf takes 31 nested messages: the 32nd message's '{' is the 31st one on line 3.
    assert (d["file"], d["line"], d["column"]) == ("deep.proto", 3, 31 * len("message N {")), d
    assert_nothing_stored(api, m)
    for paren in ["(", "["]:
        nested = 'syntax = "proto3";\nmessage M {\n  option (x) = ' + paren * depth + "\n}\n"
        assert_error(api.push(m, "1.0.0", {"deep.proto": nested}), 422, "INVALID_PROTO")
    r = health.get("/health/live")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert_push_still_works(api, m)


# libprotobuf 3.21 takes 31 nested message types and refuses a 32nd with an error that has no
# position; the pre-scan refuses it first, pointing at the brace.
MESSAGE_NESTING_LIMIT = 31


def nested_messages(depth):
    return 'syntax = "proto3";\npackage deep;\n' + "message M {\n" * depth + "}\n" * depth


def test_nesting_one_past_the_message_limit_is_422_with_position(api):
    m = api.new_module("deeplimit")
    depth = MESSAGE_NESTING_LIMIT + 1
    e = assert_error(api.push(m, "1.0.0", {"deep.proto": nested_messages(depth)}), 422, "INVALID_PROTO")
    assert len(e["details"]) == 1, e
    d = e["details"][0]
    assert d["file"] == "deep.proto" and d["line"] >= 1 and d["column"] >= 1, d
    assert (d["line"], d["column"]) == (2 + depth, len("message M {")), d
    assert "31" in d["message"], d
    assert_nothing_stored(api, m)
    # Between the message limit and the bracket limit: still a position, never line 0.
    for depth in (33, 48, 64, 65):
        e = assert_error(api.push(m, "1.0.0", {"deep.proto": nested_messages(depth)}), 422, "INVALID_PROTO")
        assert all(d["line"] >= 1 and d["column"] >= 1 for d in e["details"]), (depth, e)
    r = api.post("/validate", json={"content": nested_messages(MESSAGE_NESTING_LIMIT + 1)})
    assert r.status_code == 422, r.text[:300]
    assert all(d["line"] >= 1 and d["column"] >= 1 for d in r.json()["errors"]), r.text[:500]


def test_nesting_at_the_message_limit_is_accepted(api):
    m = api.new_module("deepok")
    r = api.push(m, "1.0.0", {"deep.proto": nested_messages(MESSAGE_NESTING_LIMIT)})
    assert r.status_code == 201, r.text[:500]


def test_deep_nesting_in_validate_survives(api, health):
    content = 'syntax = "proto3";\nmessage M {\n' + "message N {" * 9999 + "}" * 10000 + "\n"
    r = api.post("/validate", json={"content": content})
    assert r.status_code == 422, r.text[:300]
    assert health.get("/health/live").status_code == 200


def test_wrong_content_type_is_rejected(api):
    m = api.new_module("ctype")
    r = api.post_raw(f"/modules/{m}/versions", b"version: 1.0.0", content_type="text/plain")
    assert r.status_code in (400, 415), r.text
    assert_error(r, r.status_code)
    assert_nothing_stored(api, m)


def test_unknown_route_is_404_json(api):
    for path in ["/nope", "/modules/x/y/z/w", "/modules/x/versions/1.0.0/unknown"]:
        assert_error(api.get(path), 404)


def test_wrong_method_is_405_with_allow(api):
    m = api.new_module("meth")
    for method, path, must_allow in [("DELETE", "/modules", {"GET", "POST"}),
                                     ("PUT", f"/modules/{m}/versions", {"GET", "POST"}),
                                     ("POST", f"/modules/{m}", {"GET"}),
                                     ("PATCH", "/validate", {"POST"})]:
        r = api.request(method, path, json={})
        assert_error(r, 405)
        allow = {a.strip() for a in r.headers.get("Allow", "").split(",") if a.strip()}
        assert must_allow <= allow, (path, r.headers.get("Allow"))
        assert method not in allow, (path, r.headers.get("Allow"))


def test_bad_percent_encoding_in_path_is_400(module_spoke):
    # Sent raw: requests would re-quote "%zz" as "%25zz".
    for path in ["/modules/abc%zz", "/modules/abc%00def", "/modules/abc%4"]:
        r = raw_request(HOST, module_spoke.port, "GET", path)
        assert r.status_code == 400, (path, r.status_code, r.text)
        e = r.json()
        assert e["code"] == "BAD_REQUEST" and e["error"], e
        assert r.headers.get("x-request-id"), r.headers
