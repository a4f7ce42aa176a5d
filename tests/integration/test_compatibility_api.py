"""Compatibility levels, the push gate, the compatibility routes and the diff route (issue 4)."""

import pytest

from harness.descriptor_wire import parse_file_descriptor_set
from harness.spoke_api import SpokeClient, assert_error, assert_json, proto

LEVELS = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"]
COMPAT_RESULT_KEYS = {"compatible", "mode", "old_version", "new_version", "violations", "error_count",
                      "warning_count", "info_count"}
VIOLATION_KEYS = {"rule", "level", "message", "file", "line", "element", "old_value", "new_value"}
CHANGE_KEYS = {"type", "severity", "element", "file", "old_value", "new_value", "description"}


def user_file(package, fields):
    """{path: content} of one file declaring `message User` with the given field lines."""
    body = "message User {\n" + "".join(f"  {f}\n" for f in fields) + "}\n"
    return {"acme/user.proto": proto(package, body)}


def set_level(api, module, level):
    r = api.put(f"/modules/{module}/config", json={"compatibility": level})
    assert r.status_code == 200, (r.status_code, r.text)
    assert assert_json(r) == {"compatibility": level}


def assert_compat_result(body, *, compatible, mode, old_version, new_version, transitive=False):
    assert set(body) >= COMPAT_RESULT_KEYS, body
    assert body["compatible"] is compatible, body
    assert body["mode"] == mode, body
    assert body["old_version"] == old_version, body
    assert body["new_version"] == new_version, body
    counts = {"error": 0, "warning": 0, "info": 0}
    for v in body["violations"]:
        keys = VIOLATION_KEYS | ({"against_version"} if transitive else set())
        assert set(v) == keys, v
        assert v["level"] in counts, v
        counts[v["level"]] += 1
    assert body["error_count"] == counts["error"], body
    assert body["warning_count"] == counts["warning"], body
    assert body["info_count"] == counts["info"], body
    assert (body["error_count"] == 0) is compatible, body


def assert_incompatible_push(r, *, mode, old_version, new_version, transitive=False):
    """The push gate's 409: an error body that is also a CompatResult."""
    assert r.status_code == 409, f"expected 409, got {r.status_code}: {r.text[:500]}"
    body = assert_json(r)
    assert body["code"] == "INCOMPATIBLE", body
    assert isinstance(body["error"], str) and body["error"], body
    assert set(body) == COMPAT_RESULT_KEYS | {"error", "code"}, body
    assert r.headers.get("X-Request-Id")
    assert_compat_result(body, compatible=False, mode=mode, old_version=old_version,
                         new_version=new_version, transitive=transitive)
    return body


def errors_of(body):
    return [v for v in body["violations"] if v["level"] == "error"]


def version_names(api, module):
    return [v["version"] for v in api.versions(module)]


# ---- Config ----

def test_new_module_level_is_backward_and_module_json_does_not_show_it(api):
    m = api.new_module("cfg")
    r = api.get(f"/modules/{m}/config")
    assert r.status_code == 200, r.text
    assert assert_json(r) == {"compatibility": "BACKWARD"}
    module = api.get(f"/modules/{m}").json()
    assert "compatibility" not in module


def test_every_level_round_trips_and_is_kept_per_module(api):
    m = api.new_module("cfg")
    other = api.new_module("cfg")
    for level in LEVELS:
        set_level(api, m, level)
        assert api.get(f"/modules/{m}/config").json() == {"compatibility": level}
    assert api.get(f"/modules/{other}/config").json() == {"compatibility": "BACKWARD"}
    # Listing and reading the module still work and are unchanged in shape.
    r = api.get("/modules", params={"prefix": m})
    assert r.status_code == 200 and [x["name"] for x in r.json()] == [m]
    assert "compatibility" not in r.json()[0]


@pytest.mark.parametrize("body", [
    {"compatibility": "backward"},
    {"compatibility": "SIDEWAYS"},
    {"compatibility": ""},
    {"compatibility": 3},
    {"compatibility": None},
    {},
])
def test_unknown_level_is_400_and_changes_nothing(api, body):
    m = api.new_module("cfg")
    set_level(api, m, "FULL")
    body_text = assert_error(api.put(f"/modules/{m}/config", json=body), 400, "BAD_REQUEST")
    assert "compatibility" in body_text["error"]
    assert api.get(f"/modules/{m}/config").json() == {"compatibility": "FULL"}


def test_config_of_unknown_module_is_404(api):
    assert_error(api.get("/modules/no-such-module-cfg/config"), 404, "NOT_FOUND")
    assert_error(api.put("/modules/no-such-module-cfg/config", json={"compatibility": "NONE"}), 404,
                 "NOT_FOUND")
    assert_error(api.get("/modules/Not..A..Name/config"), 404, "NOT_FOUND")


def test_config_survives_a_restart(spawn_spoke, tmp_path):
    root = tmp_path / "data"
    p = spawn_spoke(root=str(root))
    c = p.client()
    m = c.new_module("cfgrestart")
    set_level(c, m, "FULL_TRANSITIVE")
    c.close()
    p.stop()
    p2 = spawn_spoke(root=str(root))
    c2 = SpokeClient(p2.url)
    assert c2.get(f"/modules/{m}/config").json() == {"compatibility": "FULL_TRANSITIVE"}
    c2.close()


# ---- Push gate ----

def test_backward_gate_refuses_a_field_type_change_and_stores_nothing(api):
    m = api.new_module("gate")
    api.push_ok(m, "1.0.0", user_file("acme.v1", ["string name = 1;", "int32 age = 2;"]))
    bad = user_file("acme.v1", ["string name = 1;", "string age = 2;"])
    r = api.push(m, "1.1.0", bad)
    body = assert_incompatible_push(r, mode="BACKWARD", old_version="1.0.0", new_version="1.1.0")
    errors = errors_of(body)
    assert [e["rule"] for e in errors] == ["FIELD_WIRE_COMPATIBLE_TYPE"], body
    e = errors[0]
    assert e["file"] == "acme/user.proto"
    assert e["line"] == 5, e  # syntax, package, blank body start: "message User {" is line 3
    assert e["element"] == "acme.v1.User.age"
    assert e["old_value"] == "int32" and e["new_value"] == "string", e
    assert "age" in body["error"]
    # Nothing stored: no version, the module unchanged, the version still free.
    assert version_names(api, m) == ["1.0.0"]
    module = api.get(f"/modules/{m}").json()
    assert module["latest_version"] == "1.0.0" and module["version_count"] == 1
    assert_error(api.get(f"/modules/{m}/versions/1.1.0"), 404, "NOT_FOUND")
    # The fixed push succeeds under the same version number.
    fixed = user_file("acme.v1", ["string name = 1;", "int32 age = 2;", "string email = 3;"])
    s = api.push_ok(m, "1.1.0", fixed)
    assert s["version"] == "1.1.0"
    assert version_names(api, m) == ["1.1.0", "1.0.0"]


def test_gate_allows_compatible_changes_and_identical_repush(api):
    m = api.new_module("gate")
    v1 = user_file("acme.v2", ["string name = 1;"])
    api.push_ok(m, "1.0.0", v1)
    # Adding a field, a message and an enum is backward compatible.
    v2 = {"acme/user.proto": proto("acme.v2", "message User {\n  string name = 1;\n  int64 id = 2;\n}\n"
                                              "message Team {}\nenum Role { ROLE_UNSPECIFIED = 0; }\n")}
    api.push_ok(m, "1.1.0", v2)
    # An identical re-push of an older version is 200, not re-checked against anything.
    api.push_ok(m, "1.0.0", v1, status=200)
    api.push_ok(m, "1.1.0", v2, status=200)


def test_none_lets_a_breaking_change_through(api):
    m = api.new_module("gate")
    set_level(api, m, "NONE")
    api.push_ok(m, "1.0.0", user_file("acme.v3", ["int32 age = 1;"]))
    api.push_ok(m, "2.0.0", user_file("acme.v3", ["string age = 1;"]))
    assert version_names(api, m) == ["2.0.0", "1.0.0"]


def test_deleting_a_field_breaks_backward_but_not_forward(api):
    before = ["string name = 1;", "string email = 2;"]
    after = ["string name = 1;"]
    backward = api.new_module("gate")
    api.push_ok(backward, "1.0.0", user_file("acme.v4", before))
    body = assert_incompatible_push(api.push(backward, "1.0.1", user_file("acme.v4", after)),
                                    mode="BACKWARD", old_version="1.0.0", new_version="1.0.1")
    assert "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" in [e["rule"] for e in errors_of(body)]
    # Reserving the number and name makes the deletion backward compatible.
    api.push_ok(backward, "1.0.1", user_file("acme.v4", after + ['reserved 2;', 'reserved "email";']))

    forward = api.new_module("gate")
    set_level(api, forward, "FORWARD")
    api.push_ok(forward, "1.0.0", user_file("acme.v4", before))
    api.push_ok(forward, "1.0.1", user_file("acme.v4", after))


def test_forward_accepts_an_added_field_and_refuses_what_old_readers_cannot_read(api):
    before = ["string name = 1;"]
    added = ["string name = 1;", "string email = 2;"]
    as_bytes = ["bytes name = 1;", "string email = 2;"]
    forward = api.new_module("gate")
    set_level(api, forward, "FORWARD")
    api.push_ok(forward, "1.0.0", user_file("acme.v5", before))
    # Old readers skip a field they do not know: forward compatible (as in Confluent's FORWARD).
    api.push_ok(forward, "1.1.0", user_file("acme.v5", added))
    # string -> bytes: readers built from 1.1.0 would get bytes that need not be UTF-8.
    body = assert_incompatible_push(api.push(forward, "1.2.0", user_file("acme.v5", as_bytes)),
                                    mode="FORWARD", old_version="1.1.0", new_version="1.2.0")
    assert [(e["rule"], e["element"]) for e in errors_of(body)] == [
        ("FIELD_WIRE_COMPATIBLE_TYPE", "acme.v5.User.name")], body
    assert version_names(api, forward) == ["1.1.0", "1.0.0"]

    backward = api.new_module("gate")
    api.push_ok(backward, "1.0.0", user_file("acme.v5", before))
    api.push_ok(backward, "1.1.0", user_file("acme.v5", added))
    api.push_ok(backward, "1.2.0", user_file("acme.v5", as_bytes))


def test_full_refuses_both_directions(api):
    m = api.new_module("gate")
    set_level(api, m, "FULL")
    api.push_ok(m, "1.0.0", user_file("acme.v6", ["string name = 1;", "string email = 2;"]))
    assert_incompatible_push(api.push(m, "1.1.0", user_file("acme.v6", ["string name = 1;"])),
                             mode="FULL", old_version="1.0.0", new_version="1.1.0")
    # string -> bytes: backward compatible, not forward; FULL refuses it.
    assert_incompatible_push(
        api.push(m, "1.1.0", user_file("acme.v6", ["bytes name = 1;", "string email = 2;"])),
        mode="FULL", old_version="1.0.0", new_version="1.1.0")
    # Adding a field is compatible both ways; so is a comment.
    api.push_ok(m, "1.1.0", user_file("acme.v6", ["string name = 1;", "string email = 2;", "int32 x = 3;"]))
    # Changing nothing on the wire (a comment) passes.
    api.push_ok(m, "1.2.0", user_file("acme.v6", ["// the user", "string name = 1;", "string email = 2;",
                                                  "int32 x = 3;"]))


def _history_with_a_type_change(api, level):
    """1.0.0 has `int32 age`, 2.0.0 (pushed under NONE) has `string age`; then `level` is set."""
    m = api.new_module("trans")
    set_level(api, m, "NONE")
    api.push_ok(m, "1.0.0", user_file("acme.v7", ["int32 age = 1;"]))
    api.push_ok(m, "2.0.0", user_file("acme.v7", ["string age = 1;"]))
    set_level(api, m, level)
    return m


def test_backward_transitive_checks_every_earlier_version(api):
    # Compatible with the latest (2.0.0), not with 1.0.0.
    v3 = user_file("acme.v7", ["string age = 1;", "string name = 2;"])
    plain = _history_with_a_type_change(api, "BACKWARD")
    api.push_ok(plain, "3.0.0", v3)

    m = _history_with_a_type_change(api, "BACKWARD_TRANSITIVE")
    body = assert_incompatible_push(api.push(m, "3.0.0", v3), mode="BACKWARD_TRANSITIVE",
                                    old_version="2.0.0", new_version="3.0.0", transitive=True)
    errors = errors_of(body)
    assert [(e["rule"], e["against_version"], e["element"]) for e in errors] == [
        ("FIELD_WIRE_COMPATIBLE_TYPE", "1.0.0", "acme.v7.User.age")], body
    assert all(v["against_version"] in ("1.0.0", "2.0.0") for v in body["violations"])
    assert "1.0.0" in body["error"]
    assert version_names(api, m) == ["2.0.0", "1.0.0"]


def test_transitive_push_compatible_with_every_version_passes(api):
    m = api.new_module("trans")
    set_level(api, m, "FULL_TRANSITIVE")
    for i, v in enumerate(["1.0.0", "1.1.0", "1.2.0"]):
        api.push_ok(m, v, user_file("acme.v8", ["string name = 1;", f"// revision {i}"]))
    assert version_names(api, m) == ["1.2.0", "1.1.0", "1.0.0"]


def test_previous_version_is_by_semver_precedence_not_push_order(api):
    m = _history_with_a_type_change(api, "BACKWARD")
    # A patch of 1.x is checked against 1.0.0 (the nearest lower version), not the newer 2.0.0.
    api.push_ok(m, "1.0.1", user_file("acme.v7", ["int32 age = 1;", "string name = 2;"]))
    # ... and a patch of 1.x that matches 2.0.0 is refused against 1.0.1.
    body = assert_incompatible_push(api.push(m, "1.0.2", user_file("acme.v7", ["string age = 1;"])),
                                    mode="BACKWARD", old_version="1.0.1", new_version="1.0.2")
    assert "FIELD_WIRE_COMPATIBLE_TYPE" in [e["rule"] for e in errors_of(body)]
    # A pre-release of a lower version than everything is a first version: never checked.
    api.push_ok(m, "0.1.0-alpha", user_file("acme.v7", ["bytes age = 1;"]))


def test_gate_with_dependencies_and_multiple_files(api):
    base = api.new_module("dep")
    api.push_ok(base, "1.0.0", {"base/money.proto": proto("base", "message Money { int64 units = 1; }")})
    m = api.new_module("gate")
    files1 = {
        "shop/order.proto": proto("shop", "message Order {\n  base.Money total = 1;\n}\n", ["base/money.proto"]),
        "shop/item.proto": proto("shop", "message Item {\n  string sku = 1;\n}\n"),
    }
    api.push_ok(m, "1.0.0", files1, dependencies=[f"{base}@1.0.0"])
    files2 = dict(files1)
    files2["shop/item.proto"] = proto("shop", "message Item {\n  int64 sku = 1;\n}\n")
    body = assert_incompatible_push(api.push(m, "1.1.0", files2, dependencies=[f"{base}@1.0.0"]),
                                    mode="BACKWARD", old_version="1.0.0", new_version="1.1.0")
    errors = errors_of(body)
    assert [(e["file"], e["line"], e["element"]) for e in errors] == [("shop/item.proto", 4, "shop.Item.sku")]
    files3 = dict(files1)
    files3["shop/extra.proto"] = proto("shop", "message Extra {}")
    api.push_ok(m, "1.1.0", files3, dependencies=[f"{base}@1.0.0"])


def test_descriptor_after_a_gated_push_is_the_plain_compile(api):
    """The gate compiles the push with source info; the cached descriptor set must still be the
    bytes a plain compile gives (here: the same files pushed as an ungated first version)."""
    v1 = user_file("acme.v9", ["string name = 1;"])
    v2 = user_file("acme.v9", ["string name = 1;", "int32 age = 2;"])
    gated = api.new_module("desc")
    api.push_ok(gated, "1.0.0", v1)
    api.push_ok(gated, "1.1.0", v2)
    ungated = api.new_module("desc")
    api.push_ok(ungated, "1.1.0", v2)

    plain = api.get(f"/modules/{gated}/versions/1.1.0/descriptor")
    assert plain.status_code == 200, plain.text
    assert not any(f["has_source_code_info"] for f in parse_file_descriptor_set(plain.content))
    reference = api.get(f"/modules/{ungated}/versions/1.1.0/descriptor")
    assert reference.status_code == 200
    assert plain.content == reference.content
    with_info = api.get(f"/modules/{gated}/versions/1.1.0/descriptor", params={"source_info": "true"})
    assert with_info.status_code == 200
    by_name = {f["name"]: f for f in parse_file_descriptor_set(with_info.content)}
    assert by_name["acme/user.proto"]["has_source_code_info"]
    reference_info = api.get(f"/modules/{ungated}/versions/1.1.0/descriptor", params={"source_info": "true"})
    assert with_info.content == reference_info.content


# ---- POST /modules/{name}/compatibility ----

def _two_versions(api):
    m = api.new_module("chk")
    set_level(api, m, "NONE")
    api.push_ok(m, "1.0.0", user_file("acme.c1", ["string name = 1;", "int32 age = 2;"]))
    api.push_ok(m, "2.0.0", user_file("acme.c1", ["string name = 1;", "string age = 2;", "int32 x = 3;"]))
    # Backward compatible (string -> bytes, a new field); not forward (old readers get bytes).
    api.push_ok(m, "2.1.0", user_file("acme.c1", ["bytes name = 1;", "string age = 2;", "int32 x = 3;",
                                                  "int32 y = 4;"]))
    return m


def test_check_pair_reports_409_with_violations(api):
    m = _two_versions(api)
    r = api.post(f"/modules/{m}/compatibility",
                 json={"old_version": "1.0.0", "new_version": "2.0.0", "mode": "BACKWARD"})
    assert r.status_code == 409, r.text
    body = assert_json(r)
    assert_compat_result(body, compatible=False, mode="BACKWARD", old_version="1.0.0", new_version="2.0.0")
    assert [(e["rule"], e["element"], e["line"]) for e in errors_of(body)] == [
        ("FIELD_WIRE_COMPATIBLE_TYPE", "acme.c1.User.age", 5)]


def test_check_pair_200_when_compatible_and_mode_defaults_to_the_level(api):
    m = _two_versions(api)
    r = api.post(f"/modules/{m}/compatibility", json={"old_version": "2.0.0", "new_version": "2.1.0"})
    assert r.status_code == 200, r.text
    assert_compat_result(r.json(), compatible=True, mode="NONE", old_version="2.0.0", new_version="2.1.0")
    r = api.post(f"/modules/{m}/compatibility", json={"old_version": "2.0.0", "new_version": "v2.1.0",
                                                       "mode": "BACKWARD"})
    assert r.status_code == 200, r.text
    assert_compat_result(r.json(), compatible=True, mode="BACKWARD", old_version="2.0.0", new_version="2.1.0")
    # The module's level is NONE: the breaking pair is compatible under it.
    r = api.post(f"/modules/{m}/compatibility", json={"old_version": "1.0.0", "new_version": "2.0.0"})
    assert r.status_code == 200, r.text
    assert r.json()["violations"] == []
    set_level(api, m, "FORWARD")
    r = api.post(f"/modules/{m}/compatibility", json={"old_version": "2.0.0", "new_version": "2.1.0"})
    assert r.status_code == 409, r.text
    assert_compat_result(r.json(), compatible=False, mode="FORWARD", old_version="2.0.0", new_version="2.1.0")
    r = api.post(f"/modules/{m}/compatibility", json={"old_version": "2.0.0", "new_version": "latest"})
    assert r.status_code == 409 and r.json()["new_version"] == "2.1.0", r.text


@pytest.mark.parametrize("body", [
    {"old_version": "1.0.0", "new_version": "2.0.0", "mode": "sideways"},
    {"old_version": "1.0.0", "new_version": "2.0.0", "mode": 1},
    {"old_version": "1.0.0"},
    {"new_version": "2.0.0"},
    {"old_version": 1, "new_version": "2.0.0"},
])
def test_check_pair_bad_body_is_400(api, body):
    m = _two_versions(api)
    assert_error(api.post(f"/modules/{m}/compatibility", json=body), 400, "BAD_REQUEST")


def test_check_pair_unknown_module_or_version_is_404(api):
    m = _two_versions(api)
    ok = {"old_version": "1.0.0", "new_version": "2.0.0"}
    assert_error(api.post("/modules/no-such-module-chk/compatibility", json=ok), 404, "NOT_FOUND")
    assert_error(api.post(f"/modules/{m}/compatibility", json={"old_version": "1.0.0", "new_version": "9.9.9"}),
                 404, "NOT_FOUND")
    assert_error(api.post(f"/modules/{m}/compatibility", json={"old_version": "0.0.1", "new_version": "2.0.0"}),
                 404, "NOT_FOUND")
    assert_error(api.post(f"/modules/{m}/compatibility", json={"old_version": "../x", "new_version": "2.0.0"}),
                 404, "NOT_FOUND")


# ---- GET .../versions/{version}/compatibility ----

def test_version_check_against_previous_versions(api):
    m = _two_versions(api)
    # Under the module's level (NONE): compatible, against the nearest previous version.
    r = api.get(f"/modules/{m}/versions/2.0.0/compatibility")
    assert r.status_code == 200, r.text
    assert_compat_result(r.json(), compatible=True, mode="NONE", old_version="1.0.0", new_version="2.0.0")
    r = api.get(f"/modules/{m}/versions/2.0.0/compatibility", params={"mode": "BACKWARD"})
    assert r.status_code == 409, r.text
    assert_compat_result(r.json(), compatible=False, mode="BACKWARD", old_version="1.0.0", new_version="2.0.0")
    # 2.1.0 is compatible with 2.0.0 but, transitively, not with 1.0.0.
    r = api.get(f"/modules/{m}/versions/2.1.0/compatibility", params={"mode": "BACKWARD"})
    assert r.status_code == 200, r.text
    r = api.get(f"/modules/{m}/versions/2.1.0/compatibility", params={"mode": "BACKWARD_TRANSITIVE"})
    assert r.status_code == 409, r.text
    body = r.json()
    assert_compat_result(body, compatible=False, mode="BACKWARD_TRANSITIVE", old_version="2.0.0",
                         new_version="2.1.0", transitive=True)
    assert {e["against_version"] for e in errors_of(body)} == {"1.0.0"}
    # "latest" and the 'v' spelling name stored versions.
    r = api.get(f"/modules/{m}/versions/latest/compatibility", params={"mode": "BACKWARD"})
    assert r.status_code == 200 and r.json()["new_version"] == "2.1.0", r.text
    set_level(api, m, "BACKWARD_TRANSITIVE")
    r = api.get(f"/modules/{m}/versions/v2.1.0/compatibility")
    assert r.status_code == 409 and r.json()["mode"] == "BACKWARD_TRANSITIVE", r.text


def test_first_version_is_always_compatible(api):
    m = _two_versions(api)
    r = api.get(f"/modules/{m}/versions/1.0.0/compatibility", params={"mode": "FULL_TRANSITIVE"})
    assert r.status_code == 200, r.text
    assert_compat_result(r.json(), compatible=True, mode="FULL_TRANSITIVE", old_version=None,
                         new_version="1.0.0", transitive=True)
    assert r.json()["violations"] == []


def test_version_check_errors(api):
    m = _two_versions(api)
    assert_error(api.get(f"/modules/{m}/versions/2.0.0/compatibility", params={"mode": "Backward"}), 400,
                 "BAD_REQUEST")
    assert_error(api.get(f"/modules/{m}/versions/9.0.0/compatibility"), 404, "NOT_FOUND")
    assert_error(api.get("/modules/no-such-module-chk/versions/1.0.0/compatibility"), 404, "NOT_FOUND")
    empty = api.new_module("chk")
    assert_error(api.get(f"/modules/{empty}/versions/latest/compatibility"), 404, "NOT_FOUND")


# ---- POST /api/v1/modules/{name}/diff ----

def test_diff_lists_added_removed_and_changed_with_severities(api):
    m = api.new_module("diff")
    set_level(api, m, "NONE")
    api.push_ok(m, "1.0.0", {"acme/user.proto": proto(
        "acme.d1", "message User {\n  string name = 1;\n  int32 age = 2;\n  string email = 3;\n}\n"
                   "message Old {}\n")})
    api.push_ok(m, "1.1.0", {"acme/user.proto": proto(
        "acme.d1", "message User {\n  string name = 1;\n  string age = 2;\n  int64 id = 4;\n}\n"
                   "message Team {}\n")})
    r = api.post(f"/api/v1/modules/{m}/diff", json={"from_version": "1.0.0", "to_version": "v1.1.0"})
    assert r.status_code == 200, r.text
    body = assert_json(r)
    assert set(body) == {"from_version", "to_version", "changes"}
    assert body["from_version"] == "1.0.0" and body["to_version"] == "1.1.0"
    for c in body["changes"]:
        assert set(c) == CHANGE_KEYS, c
        assert c["severity"] in ("breaking", "non_breaking", "warning"), c
        assert c["file"] == "acme/user.proto", c
    by = {(c["type"], c["element"]): c for c in body["changes"]}
    assert by[("FIELD_TYPE_CHANGED", "acme.d1.User.age")]["severity"] == "breaking"
    assert by[("FIELD_TYPE_CHANGED", "acme.d1.User.age")]["old_value"] == "int32"
    assert by[("FIELD_TYPE_CHANGED", "acme.d1.User.age")]["new_value"] == "string"
    assert by[("FIELD_REMOVED", "acme.d1.User.email")]["severity"] == "breaking"
    assert by[("FIELD_ADDED", "acme.d1.User.id")]["severity"] == "non_breaking"
    assert by[("MESSAGE_ADDED", "acme.d1.Team")]["severity"] == "non_breaking"
    assert ("MESSAGE_REMOVED", "acme.d1.Old") in by
    assert all(c["description"] for c in body["changes"])
    # The same version on both sides: no changes.
    r = api.post(f"/api/v1/modules/{m}/diff", json={"from_version": "1.1.0", "to_version": "1.1.0"})
    assert r.status_code == 200 and r.json()["changes"] == [], r.text


def test_diff_errors(api):
    m = api.new_module("diff")
    api.push_ok(m, "1.0.0", user_file("acme.d2", ["string name = 1;"]))
    assert_error(api.post(f"/api/v1/modules/{m}/diff", json={"from_version": "1.0.0", "to_version": "2.0.0"}),
                 404, "NOT_FOUND")
    assert_error(api.post("/api/v1/modules/no-such-module-diff/diff",
                          json={"from_version": "1.0.0", "to_version": "1.0.0"}), 404, "NOT_FOUND")
    assert_error(api.post(f"/api/v1/modules/{m}/diff", json={"from_version": "1.0.0"}), 400, "BAD_REQUEST")
    # Mounted under /api/v1 only, as the contract says.
    assert_error(api.post(f"/modules/{m}/diff", json={"from_version": "1.0.0", "to_version": "1.0.0"}),
                 404, "NOT_FOUND")
