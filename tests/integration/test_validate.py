"""POST /validate: compile without storing."""

import pytest

from harness.spoke_api import assert_error, assert_json, proto

GOOD = proto("v", "message A { string x = 1; }")
BAD = 'syntax = "proto3";\npackage v;\nmessage M {\n  int32 x = ;\n}\n'


def check_shape(body, valid):
    assert set(body) >= {"valid", "errors", "warnings"}, body
    assert body["valid"] is valid
    assert isinstance(body["errors"], list) and isinstance(body["warnings"], list)


def test_valid_files(api):
    r = api.post("/validate", json={"files": [{"path": "v/a.proto", "content": GOOD},
                                              {"path": "v/b.proto", "content": proto("v", "message B { A a = 1; }",
                                                                                     ["v/a.proto"])}]})
    assert r.status_code == 200, r.text
    body = assert_json(r)
    check_shape(body, True)
    assert body["errors"] == []


def test_valid_single_content(api):
    r = api.post("/validate", json={"content": GOOD})
    assert r.status_code == 200, r.text
    check_shape(r.json(), True)
    assert r.json()["errors"] == []


def test_parse_error_is_422_with_position(api):
    r = api.post("/validate", json={"files": [{"path": "bad.proto", "content": BAD}]})
    assert r.status_code == 422, r.text
    body = assert_json(r)
    check_shape(body, False)
    assert len(body["errors"]) >= 1
    e = body["errors"][0]
    assert (e["file"], e["line"], e["column"]) == ("bad.proto", 4, 13), e
    assert "field number" in e["message"], e


def test_unresolved_import_is_invalid(api):
    r = api.post("/validate", json={"content": proto("v", "message A {}", ["nowhere/x.proto"])})
    assert r.status_code == 422, r.text
    body = r.json()
    check_shape(body, False)
    assert any("nowhere/x.proto" in e["message"] for e in body["errors"]), body


def test_unused_import_is_a_warning_not_an_error(api):
    files = [{"path": "v/a.proto", "content": GOOD},
             {"path": "v/b.proto", "content": proto("v", "message B {}", ["v/a.proto"])}]
    r = api.post("/validate", json={"files": files})
    assert r.status_code == 200, r.text
    body = r.json()
    check_shape(body, True)
    assert any("v/a.proto" in (w.get("message", "") if isinstance(w, dict) else str(w))
               for w in body["warnings"]), body


def test_validate_with_dependencies(api):
    base = api.new_module("valdep")
    api.push_ok(base, "1.0.0", {"common/c.proto": proto("common", "message C {}")})
    files = [{"path": "x.proto", "content": proto("x", "message X { common.C c = 1; }", ["common/c.proto"])}]
    r = api.post("/validate", json={"files": files, "dependencies": [f"{base}@1.0.0"]})
    assert r.status_code == 200, r.text
    assert r.json()["valid"] is True
    r = api.post("/validate", json={"files": files})
    assert r.status_code == 422, r.text
    assert r.json()["valid"] is False


def test_validate_with_unknown_dependency(api):
    r = api.post("/validate", json={"content": GOOD, "dependencies": ["no-such-dep-module@1.0.0"]})
    assert r.status_code == 422, r.text
    body = assert_json(r)
    check_shape(body, False)
    assert any("no-such-dep-module@1.0.0" in e["message"] for e in body["errors"]), body


def test_validate_with_malformed_dependency_is_400(api):
    assert_error(api.post("/validate", json={"content": GOOD, "dependencies": ["nope"]}), 400, "BAD_REQUEST")


def test_validate_stores_nothing(api):
    before = api.get("/modules", params={"limit": 1}).headers["X-Total-Count"]
    assert api.post("/validate", json={"content": GOOD}).status_code == 200
    assert api.get("/modules", params={"limit": 1}).headers["X-Total-Count"] == before


@pytest.mark.parametrize("raw", [
    b'{"files": [',
    b'[]',
    b'{}',
    b'{"files": "x"}',
    b'{"content": 5}',
    b'{"files": [{"path": "../x.proto", "content": "syntax = \\"proto3\\";"}]}',
    b'{"files": []}',
])
def test_validate_bad_body_is_400(api, raw):
    assert_error(api.post_raw("/validate", raw), 400, "BAD_REQUEST")
