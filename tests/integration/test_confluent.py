"""Confluent Schema Registry dialect (docs/confluent.md, issue 14), end to end: every route and
every error code, the media type, percent-encoded subjects, global ids, references, soft and
permanent deletion, levels and modes, the serialized format, the same verdict as the module API,
a restart, and (postgres) two instances registering at once on one database.

Every test uses subjects of its own (a uuid in the name): the module's server is shared. Tests
that change the registry-wide level or mode start a server of their own."""

import base64
import hashlib
import json
import os
import re
import threading
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.protobuf import descriptor_pb2

from harness.spoke_api import SpokeClient
from harness.spoke_process import _psql, url_for_database

VND = "application/vnd.schemaregistry.v1+json"
LEVELS = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"]
MODES = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"]
# The error-level rules of docs/compatibility.md (buf's WIRE category): what rejects a schema.
ERROR_RULES = {
    "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
    "RESERVED_MESSAGE_NO_DELETE", "RESERVED_ENUM_NO_DELETE", "FIELD_WIRE_COMPATIBLE_TYPE",
    "FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_SAME_ONEOF", "FIELD_SAME_DEFAULT",
    "MESSAGE_SAME_REQUIRED_FIELDS", "FILE_SAME_PACKAGE", "RPC_SAME_REQUEST_TYPE", "RPC_SAME_RESPONSE_TYPE",
    "RPC_SAME_CLIENT_STREAMING", "RPC_SAME_SERVER_STREAMING", "RPC_SAME_IDEMPOTENCY_LEVEL",
}
RULE_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
DEP = "dep/common.proto"
MAX_ID = 2**31 - 1


# ---- helpers ---------------------------------------------------------------------------------

def uid():
    return uuid.uuid4().hex[:10]


def subj(prefix):
    return f"{prefix}-{uid()}"


def enc(subject):
    """The subject as one percent-encoded path segment (':' -> %3A, '/' -> %2F)."""
    return urllib.parse.quote(subject, safe="")


def sp(subject):
    return "/subjects/" + enc(subject)


def send(c, method, path, body=None, params=None, content_type=VND, headers=None):
    """A request with a JSON body (bytes sent as they are) in the Confluent media type."""
    h = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        if content_type is not None:
            h["Content-Type"] = content_type
    return c.request(method, path, data=data, headers=h, params=params)


def assert_vnd(r):
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == VND, \
        f"Content-Type {ctype!r} for {r.request.method} {r.request.url} -> {r.status_code} {r.text[:300]}"


def ok(r, status=200):
    assert r.status_code == status, \
        f"{r.request.method} {r.request.url}: expected {status}, got {r.status_code}: {r.text[:800]}"
    assert_vnd(r)
    return r.json()


def cerr(r, status, code):
    """A Confluent error: `status`, {"error_code": code, "message": "..."} in the media type."""
    assert r.status_code == status, \
        f"{r.request.method} {r.request.url}: expected {status}/{code}, got {r.status_code}: {r.text[:800]}"
    assert_vnd(r)
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"error_code", "message"}, body
    assert body["error_code"] == code, f"{r.request.method} {r.request.url}: {body}"
    assert isinstance(body["message"], str) and body["message"], body
    assert "/tmp/" not in r.text and "std::" not in r.text and "Traceback" not in r.text, r.text
    return body


def text_reply(r):
    """GET .../versions/{v}/schema: "the text alone" (the raw text, or the text as a JSON string)."""
    assert r.status_code == 200, f"{r.request.url}: {r.status_code} {r.text[:500]}"
    assert_vnd(r)
    t = r.text
    return json.loads(t) if t.startswith('"') else t


def proto_text(package, body, imports=()):
    lines = ['syntax = "proto3";', f"package {package};"]
    lines += [f'import "{i}";' for i in imports]
    return "\n".join(lines) + "\n\n" + body


def user_schema(package, fields):
    return proto_text(package, "message User {\n" + "".join(f"  {f}\n" for f in fields) + "}\n")


def register(c, subject, schema, references=None, schema_type="PROTOBUF", extra=None, content_type=VND):
    body = {"schema": schema}
    if schema_type is not None:
        body["schemaType"] = schema_type
    if references is not None:
        body["references"] = references
    body.update(extra or {})
    return send(c, "POST", sp(subject) + "/versions", body, content_type=content_type)


def register_ok(c, subject, schema, references=None):
    body = ok(register(c, subject, schema, references))
    assert isinstance(body, dict) and set(body) == {"id"}, body
    assert type(body["id"]) is int and body["id"] > 0, body
    return body["id"]


def lookup(c, subject, schema, references=None, params=None):
    body = {"schemaType": "PROTOBUF", "schema": schema}
    if references is not None:
        body["references"] = references
    return send(c, "POST", sp(subject), body, params=params)


def check(c, subject, version, schema, verbose=False, references=None):
    path = f"/compatibility{sp(subject)}/versions" + (f"/{version}" if version is not None else "")
    body = {"schemaType": "PROTOBUF", "schema": schema}
    if references is not None:
        body["references"] = references
    return send(c, "POST", path, body, params={"verbose": "true"} if verbose else None)


def versions(c, subject, deleted=False):
    return ok(c.get(sp(subject) + "/versions", params={"deleted": "true"} if deleted else None))


def set_config(c, subject, level):
    path = "/config" if subject is None else f"/config/{enc(subject)}"
    assert ok(send(c, "PUT", path, {"compatibility": level})) == {"compatibility": level}


def set_mode(c, subject, mode):
    path = "/mode" if subject is None else f"/mode/{enc(subject)}"
    assert ok(send(c, "PUT", path, {"mode": mode})) == {"mode": mode}


def error_rules(text):
    return set(RULE_TOKEN.findall(text)) & ERROR_RULES


def decode_fd(b64):
    raw = base64.b64decode(b64, validate=True)
    return descriptor_pb2.FileDescriptorProto.FromString(raw)


def deleted():
    return {"deleted": "true"}


# ---- types, media type, reading back ---------------------------------------------------------

def test_schema_types(anon):
    r = anon.get("/schemas/types")
    assert ok(r) == ["PROTOBUF"]
    r = anon.get("/schemas/types", headers={"Accept": VND})
    assert ok(r) == ["PROTOBUF"]


def test_register_and_read_back_through_every_route(api, anon):
    s = subj("read")
    text = user_schema(f"r{uid()}", ["string name = 1;"])
    sid = register_ok(api, s, text)
    assert versions(anon, s) == [1]
    want = {"subject": s, "version": 1, "id": sid, "schemaType": "PROTOBUF", "schema": text}
    for v in ("1", "latest", "-1"):
        assert ok(anon.get(f"{sp(s)}/versions/{v}")) == want, v
        assert text_reply(anon.get(f"{sp(s)}/versions/{v}/schema")) == text, v
    plain = {"schemaType": "PROTOBUF", "schema": text}
    assert ok(anon.get(f"/schemas/ids/{sid}")) == plain
    assert ok(anon.get(f"/schemas/ids/{sid}", params={"subject": s})) == plain
    assert ok(anon.get(f"/schemas/ids/{sid}/schema")) == text  # a JSON string
    assert ok(anon.get(f"/schemas/ids/{sid}/versions")) == [{"subject": s, "version": 1}]
    assert ok(anon.get(f"/schemas/ids/{sid}/subjects")) == [s]
    assert ok(lookup(api, s, text)) == want
    assert s in ok(anon.get("/subjects"))
    assert ok(anon.get(f"{sp(s)}/versions/1/referencedby")) == []


@pytest.mark.parametrize("content_type", [VND, "application/json", None,
                                          "application/vnd.schemaregistry.v1+json; charset=utf-8"])
def test_request_media_types_are_accepted_and_replies_use_the_vnd_type(api, content_type):
    s = subj("media")
    text = user_schema(f"m{uid()}", ["string name = 1;"])
    r = register(api, s, text, content_type=content_type)
    sid = ok(r)["id"]
    r = send(api, "POST", sp(s), {"schemaType": "PROTOBUF", "schema": text}, content_type=content_type,
             headers={"Accept": VND})
    assert ok(r)["id"] == sid
    r = send(api, "POST", f"/compatibility{sp(s)}/versions/latest", {"schemaType": "PROTOBUF", "schema": text},
             content_type=content_type)
    assert ok(r) == {"is_compatible": True}
    r = send(api, "PUT", f"/config/{enc(s)}", {"compatibility": "FULL"}, content_type=content_type)
    assert ok(r) == {"compatibility": "FULL"}
    # The replies of reads and of errors carry the media type too.
    assert_vnd(api.get(f"{sp(s)}/versions/1", headers={"Accept": VND}))
    assert_vnd(api.get(f"{sp(s)}/versions/1", headers={"Accept": "application/json"}))
    cerr(api.get(f"{sp(s)}/versions/9"), 404, 40402)


def test_subjects_with_colon_and_slash_are_percent_decoded(api, anon):
    u = uid()
    colon = f"ns{u}:orders-value"
    slash = f"team{u}/orders.proto"
    colon_id = register_ok(api, colon, user_schema(f"c{u}", ["string a = 1;"]))
    slash_id = register_ok(api, slash, user_schema(f"s{u}", ["string b = 1;"]))
    # Encoded explicitly, upper and lower case hex.
    for path in (f"/subjects/ns{u}%3Aorders-value", f"/subjects/ns{u}%3aorders-value",
                 f"/subjects/ns{u}:orders-value"):
        assert ok(anon.get(path + "/versions")) == [1], path
        assert ok(anon.get(path + "/versions/1"))["subject"] == colon, path
    for path in (f"/subjects/team{u}%2Forders.proto", f"/subjects/team{u}%2forders.proto"):
        assert ok(anon.get(path + "/versions")) == [1], path
        v = ok(anon.get(path + "/versions/latest"))
        assert (v["subject"], v["id"]) == (slash, slash_id), v
    listed = ok(anon.get("/subjects"))
    assert colon in listed and slash in listed
    assert ok(anon.get(f"/schemas/ids/{colon_id}/subjects")) == [colon]
    assert ok(anon.get(f"/schemas/ids/{slash_id}/versions")) == [{"subject": slash, "version": 1}]
    assert ok(anon.get("/subjects", params={"subjectPrefix": f"team{u}/"})) == [slash]
    # A slash that is not encoded splits the segment: a path Spoke does not serve.
    cerr(anon.get(f"/subjects/team{u}/orders.proto/versions"), 404, 404)
    # Config under an encoded subject.
    set_config(api, slash, "NONE")
    assert ok(anon.get(f"/config/team{u}%2Forders.proto")) == {"compatibilityLevel": "NONE"}
    # Space, '%', '?', '#' encoded; '+' is a plus in a path; a double-encoded '/' stays "%2F".
    odd = {f"/subjects/sp{u}%20a%25b%3Fc%23d": f"sp{u} a%b?c#d",
           f"/subjects/plus{u}+sign": f"plus{u}+sign",
           f"/subjects/dbl{u}%252Fslash": f"dbl{u}%2Fslash"}
    for i, (path, name) in enumerate(odd.items()):
        sid = ok(send(api, "POST", path + "/versions",
                      {"schemaType": "PROTOBUF", "schema": user_schema(f"o{u}.n{i}", ["string c = 1;"])}))["id"]
        assert ok(anon.get(f"/schemas/ids/{sid}/subjects")) == [name]
        assert ok(anon.get(path + "/versions/1"))["subject"] == name
        assert ok(anon.get(sp(name) + "/versions/1"))["id"] == sid
        assert name in ok(anon.get("/subjects"))


def test_register_is_idempotent_and_ids_follow_content(api, anon):
    u = uid()
    s, s2 = f"idem-{u}", f"idem2-{u}"
    v1 = user_schema(f"i{u}", ["string name = 1;"])
    v2 = user_schema(f"i{u}", ["string name = 1;", "int64 id = 2;"])
    id1 = register_ok(api, s, v1)
    assert register_ok(api, s, v1) == id1
    assert versions(api, s) == [1]
    id2 = register_ok(api, s, v2)
    assert id2 != id1
    assert versions(api, s) == [1, 2]
    # The subject already holds v1 (as version 1): its id, no version 3.
    assert register_ok(api, s, v1) == id1
    assert versions(api, s) == [1, 2]
    assert ok(anon.get(f"{sp(s)}/versions/latest"))["id"] == id2
    # An empty references list is the same content as none.
    assert register_ok(api, s, v1, references=[]) == id1
    assert versions(api, s) == [1, 2]
    # The same content in another subject: the same id.
    assert register_ok(api, s2, v1) == id1
    assert versions(api, s2) == [1]
    assert sorted(ok(anon.get(f"/schemas/ids/{id1}/subjects"))) == sorted([s, s2])
    got = ok(anon.get(f"/schemas/ids/{id1}/versions"))
    assert sorted(got, key=lambda x: x["subject"]) == sorted(
        [{"subject": s, "version": 1}, {"subject": s2, "version": 1}], key=lambda x: x["subject"])
    # Different text (a comment is content): a different id.
    v3 = v2 + "// a comment\n"
    id3 = register_ok(api, s2, v3)
    assert len({id1, id2, id3}) == 3
    assert ok(lookup(api, s2, v3)) == {"subject": s2, "id": id3, "version": 2, "schemaType": "PROTOBUF",
                                       "schema": v3}


def test_served_text_is_byte_identical_to_the_registered_text(api, anon):
    u = uid()
    s = f"bytes-{u}"
    text = (f'syntax = "proto3";\r\n// café ☕, tabs\tand trailing spaces   \r\npackage b{u};\r\n\r\n'
            "message Zeta {\n\tstring z = 1;   // last\n}\n\n\n"
            "message Alpha{int32 a=1;}\n"
            "/* block\n   comment */ message Mid { Zeta zeta = 1; Alpha alpha = 2; }")  # no final newline
    sid = register_ok(api, s, text)
    assert ok(anon.get(f"/schemas/ids/{sid}"))["schema"] == text
    assert ok(anon.get(f"/schemas/ids/{sid}/schema")) == text
    assert ok(anon.get(f"{sp(s)}/versions/1"))["schema"] == text
    assert text_reply(anon.get(f"{sp(s)}/versions/1/schema")) == text
    assert ok(lookup(api, s, text))["schema"] == text
    fd = decode_fd(ok(anon.get(f"/schemas/ids/{sid}", params={"format": "serialized"}))["schema"])
    assert [m.name for m in fd.message_type] == ["Zeta", "Alpha", "Mid"]


def register_normalized(c, subject, schema):
    return send(c, "POST", sp(subject) + "/versions", {"schemaType": "PROTOBUF", "schema": schema},
                params={"normalize": "true"})


def test_normalize_gives_layouts_of_one_schema_one_id_and_keeps_message_order(api, anon):
    u = uid()
    s, plain = f"norm-{u}", f"plain-{u}"
    tidy = (f'syntax = "proto3";\npackage n{u};\n\n'
            "message Zeta {\n  string z = 1;\n}\n\nmessage Alpha {\n  int32 a = 1;\n  Zeta zeta = 2;\n}\n")
    messy = (f'syntax="proto3";  package n{u};\n// a comment is layout here\n'
             "message Zeta{string z=1;}\n/* block */ message Alpha {int32 a = 1; Zeta zeta=2;}")
    sid = ok(register_normalized(api, s, messy))["id"]
    stored = ok(anon.get(f"/schemas/ids/{sid}"))["schema"]
    # The canonical text: no comments, and the declaration order the wire format's indexes use.
    assert stored != messy and "comment" not in stored, stored
    assert stored.index("message Zeta") < stored.index("message Alpha"), stored
    assert ok(register_normalized(api, s, tidy))["id"] == sid
    assert versions(api, s) == [1]
    # A lookup matches another layout only when asked to normalize.
    found = ok(send(api, "POST", sp(s), {"schemaType": "PROTOBUF", "schema": tidy},
                    params={"normalize": "true"}))
    assert (found["id"], found["version"]) == (sid, 1), found
    cerr(lookup(api, s, tidy), 404, 40403)
    # Without normalize, the two layouts are two schemas with two ids.
    ids = {register_ok(api, plain, tidy), register_ok(api, plain, messy)}
    assert len(ids) == 2 and sid not in ids, ids
    # Normalizing an invalid schema is still 42201, and writes nothing.
    cerr(register_normalized(api, s, "message {"), 422, 42201)
    assert versions(api, s) == [1]


def test_serialized_format_is_the_root_file_descriptor(api, anon):
    u = uid()
    pkg = f"ser{u}"
    text = proto_text(pkg, "message Zeta {\n  string z = 1;\n}\nmessage Alpha {\n  int32 a = 1;\n}\n"
                           "message Mid {\n  Zeta zeta = 1;\n  repeated Alpha alphas = 2;\n}\n")
    s = f"ser-{u}"
    sid = register_ok(api, s, text)
    body = ok(anon.get(f"/schemas/ids/{sid}", params={"format": "serialized"}))
    assert set(body) == {"schemaType", "schema"} and body["schemaType"] == "PROTOBUF", body
    assert body["schema"] != text
    fd = decode_fd(body["schema"])
    assert fd.name == "schema.proto"  # the subject is not a .proto path
    assert fd.package == pkg
    assert fd.syntax == "proto3"
    assert [m.name for m in fd.message_type] == ["Zeta", "Alpha", "Mid"]
    mid = fd.message_type[2]
    assert [(f.name, f.number, f.type_name) for f in mid.field] == [
        ("zeta", 1, f".{pkg}.Zeta"), ("alphas", 2, f".{pkg}.Alpha")]
    v = ok(anon.get(f"{sp(s)}/versions/1", params={"format": "serialized"}))
    assert {k: v[k] for k in ("subject", "version", "id", "schemaType")} == {
        "subject": s, "version": 1, "id": sid, "schemaType": "PROTOBUF"}
    assert decode_fd(v["schema"]) == fd
    # Without the parameter the text comes back.
    assert ok(anon.get(f"/schemas/ids/{sid}"))["schema"] == text
    # A subject that is a .proto path names the root file.
    s2 = f"ser{u}/dir/file.proto"
    sid2 = register_ok(api, s2, proto_text(f"ser2{u}", "message One {}\n"))
    fd2 = decode_fd(ok(anon.get(f"/schemas/ids/{sid2}", params={"format": "serialized"}))["schema"])
    assert fd2.name == s2
    assert [m.name for m in fd2.message_type] == ["One"]


def test_subject_prefix_filter_and_byte_order(api, anon):
    u = uid()
    base = f"pfx{u}"
    names = [f"{base}-b", f"{base}-a", f"{base}-B", f"{base}-é", f"{base}:z", f"{base}-a/x.proto"]
    for i, n in enumerate(names):
        register_ok(api, n, proto_text(f"p{u}.n{i}", "message M {}\n"))
    register_ok(api, f"other{u}", proto_text(f"o{u}", "message M {}\n"))
    by_bytes = sorted(names, key=lambda x: x.encode("utf-8"))
    assert ok(anon.get("/subjects", params={"subjectPrefix": base})) == by_bytes
    assert ok(anon.get("/subjects", params={"subjectPrefix": f"{base}-a"})) == [f"{base}-a", f"{base}-a/x.proto"]
    assert ok(anon.get("/subjects", params={"subjectPrefix": f"none{u}"})) == []
    everything = ok(anon.get("/subjects"))
    assert everything == sorted(everything, key=lambda x: x.encode("utf-8"))
    assert set(names) | {f"other{u}"} <= set(everything)
    # A soft-deleted subject leaves the listing unless ?deleted=true.
    assert ok(send(api, "DELETE", sp(f"{base}-b"))) == [1]
    assert ok(anon.get("/subjects", params={"subjectPrefix": base})) == [n for n in by_bytes if n != f"{base}-b"]
    assert ok(anon.get("/subjects", params={"subjectPrefix": base, "deleted": "true"})) == by_bytes
    assert f"{base}-b" not in ok(anon.get("/subjects"))
    assert f"{base}-b" in ok(anon.get("/subjects", params=deleted()))


# ---- errors ----------------------------------------------------------------------------------

UNSERVED = [
    ("GET", "/schemas"),
    ("GET", "/schemas/nope"),
    ("POST", "/schemas/types"),
    ("PUT", "/schemas/types"),
    ("DELETE", "/schemas/types"),
    ("POST", "/schemas/ids/1"),
    ("PUT", "/schemas/ids/1"),
    ("DELETE", "/schemas/ids/1"),
    ("GET", "/schemas/ids/1/nope"),
    ("POST", "/schemas/ids/1/versions"),
    ("GET", "/schemas/ids"),
    ("POST", "/subjects"),
    ("PUT", "/subjects"),
    ("DELETE", "/subjects"),
    ("GET", "/subjects/x"),
    ("PUT", "/subjects/x"),
    ("PATCH", "/subjects/x"),
    ("PUT", "/subjects/x/versions"),
    ("DELETE", "/subjects/x/versions"),
    ("POST", "/subjects/x/versions/1"),
    ("PUT", "/subjects/x/versions/1"),
    ("GET", "/subjects/x/versions/1/nope"),
    ("POST", "/subjects/x/versions/1/referencedby"),
    ("DELETE", "/subjects/x/versions/1/schema"),
    ("POST", "/config"),
    ("PATCH", "/config"),
    ("POST", "/config/x"),
    ("GET", "/config/x/y"),
    ("POST", "/mode"),
    ("DELETE", "/mode"),
    ("POST", "/mode/x"),
    ("GET", "/mode/x/y"),
    ("GET", "/compatibility"),
    ("POST", "/compatibility"),
    ("GET", "/compatibility/subjects/x/versions/latest"),
    ("PUT", "/compatibility/subjects/x/versions/latest"),
    ("DELETE", "/compatibility/subjects/x/versions"),
    ("POST", "/compatibility/x"),
    ("POST", "/compatibility/subjects/x"),
]


@pytest.mark.parametrize("method,path", UNSERVED, ids=[f"{m} {p}" for m, p in UNSERVED])
def test_unserved_paths_are_404_never_405(api, method, path):
    body = {"schemaType": "PROTOBUF", "schema": 'syntax = "proto3";\n'} if method in ("POST", "PUT", "PATCH") \
        else None
    cerr(send(api, method, path, body), 404, 404)


@pytest.mark.parametrize("sid", ["0", "-1", "abc", "99999999999999999999"])
def test_an_id_that_names_no_schema_is_a_404(anon, sid):
    for suffix in ("", "/schema", "/versions", "/subjects"):
        r = anon.get(f"/schemas/ids/{sid}{suffix}")
        assert r.status_code == 404, (sid, suffix, r.status_code, r.text)
        body = cerr(r, 404, r.json().get("error_code"))
        assert body["error_code"] in (404, 40403), body


def test_unknown_subject_is_40401(api, anon):
    s = subj("ghost")
    text = proto_text(f"g{uid()}", "message M {}\n")
    cerr(anon.get(f"{sp(s)}/versions"), 404, 40401)
    cerr(anon.get(f"{sp(s)}/versions", params=deleted()), 404, 40401)
    for v in ("1", "latest", "-1"):
        cerr(anon.get(f"{sp(s)}/versions/{v}"), 404, 40401)
        cerr(anon.get(f"{sp(s)}/versions/{v}/schema"), 404, 40401)
    cerr(anon.get(f"{sp(s)}/versions/1/referencedby"), 404, 40401)
    cerr(lookup(api, s, text), 404, 40401)
    cerr(send(api, "DELETE", sp(s)), 404, 40401)
    cerr(send(api, "DELETE", f"{sp(s)}/versions/1"), 404, 40401)
    cerr(check(api, s, "1", text), 404, 40401)


def test_unknown_version_is_40402_and_unknown_schema_is_40403(api, anon):
    s = subj("v")
    text = proto_text(f"v{uid()}", "message M { string a = 1; }\n")
    register_ok(api, s, text)
    for v in ("2", "7", "2147483647"):
        cerr(anon.get(f"{sp(s)}/versions/{v}"), 404, 40402)
        cerr(anon.get(f"{sp(s)}/versions/{v}/schema"), 404, 40402)
        cerr(anon.get(f"{sp(s)}/versions/{v}/referencedby"), 404, 40402)
        cerr(check(api, s, v, text), 404, 40402)
    cerr(send(api, "DELETE", f"{sp(s)}/versions/2"), 404, 40402)
    for suffix in ("", "/schema", "/versions", "/subjects"):
        cerr(anon.get(f"/schemas/ids/{MAX_ID}{suffix}"), 404, 40403)
    # A lookup by content the subject does not hold.
    other = proto_text(f"v{uid()}", "message Other {}\n")
    cerr(lookup(api, s, other), 404, 40403)
    assert versions(api, s) == [1]


@pytest.mark.parametrize("version", ["0", "abc", "-2", "1.5", "99999999999999999999"])
def test_invalid_version_is_42202(api, anon, version):
    s = subj("badv")
    text = proto_text(f"b{uid()}", "message M {}\n")
    register_ok(api, s, text)
    cerr(anon.get(f"{sp(s)}/versions/{version}"), 422, 42202)
    cerr(anon.get(f"{sp(s)}/versions/{version}/schema"), 422, 42202)
    cerr(anon.get(f"{sp(s)}/versions/{version}/referencedby"), 422, 42202)
    cerr(send(api, "DELETE", f"{sp(s)}/versions/{version}"), 422, 42202)
    cerr(check(api, s, version, text), 422, 42202)
    assert versions(api, s) == [1]


def _parse_error_text(pkg):
    return f'syntax = "proto3";\npackage {pkg};\nmessage Broken {{ string name = ; }}\n'


@pytest.mark.parametrize("case", ["parse_error", "unresolved_import", "reference_to_missing_subject",
                                  "reference_to_missing_version", "avro", "json", "no_schema_type",
                                  "unknown_type"])
def test_invalid_schema_is_42201_and_stores_nothing(api, case):
    u = uid()
    s = f"inv-{u}"
    good = proto_text(f"g{u}", "message M {}\n")
    if case == "reference_to_missing_version":
        dep = f"invdep-{u}"
        register_ok(api, dep, proto_text(f"d{u}", "message D {}\n"))
    kwargs = {}
    if case == "parse_error":
        text = _parse_error_text(f"p{u}")
    elif case == "unresolved_import":
        text = proto_text(f"p{u}", "message M {\n  x.Y y = 1;\n}\n", imports=["x/y.proto"])
    elif case == "reference_to_missing_subject":
        text = proto_text(f"p{u}", "message M {\n  x.Y y = 1;\n}\n", imports=["x/y.proto"])
        kwargs["references"] = [{"name": "x/y.proto", "subject": f"nosuch-{u}", "version": 1}]
    elif case == "reference_to_missing_version":
        text = proto_text(f"p{u}", "message M {\n  D d = 1;\n}\n", imports=["d.proto"])
        kwargs["references"] = [{"name": "d.proto", "subject": dep, "version": 5}]
    elif case == "avro":
        text, kwargs["schema_type"] = good, "AVRO"
    elif case == "json":
        text, kwargs["schema_type"] = good, "JSON"
    elif case == "no_schema_type":
        text, kwargs["schema_type"] = good, None  # Confluent's default is AVRO
    else:
        text, kwargs["schema_type"] = good, "protobuf"
    body = cerr(register(api, s, text, **kwargs), 422, 42201)
    if case == "parse_error":
        assert re.search(r"schema\.proto:3:\d+", body["message"]), body
    if case == "unresolved_import":
        assert "x/y.proto" in body["message"], body
    cerr(api.get(f"{sp(s)}/versions"), 404, 40401)
    assert s not in ok(api.get("/subjects", params=deleted()))
    # The compatibility routes refuse the same schema the same way, against a subject with a
    # version and against one without (an invalid schema is not "compatible" with nothing).
    held = f"held-{u}"
    register_ok(api, held, proto_text(f"h{u}", "message H {}\n"))
    body = {"schema": text}
    if kwargs.get("schema_type", "PROTOBUF") is not None:
        body["schemaType"] = kwargs.get("schema_type", "PROTOBUF")
    if "references" in kwargs:
        body["references"] = kwargs["references"]
    cerr(send(api, "POST", f"/compatibility{sp(held)}/versions/latest", body), 422, 42201)
    cerr(send(api, "POST", f"/compatibility{sp(held)}/versions", body), 422, 42201)


@pytest.mark.parametrize("case", ["parse_error", "unresolved_import", "reference_to_missing_subject"])
def test_an_invalid_schema_is_42201_even_against_a_subject_without_versions(api, case):
    """"A subject with no versions and latest is compatible" is about compatibility; a schema that
    does not compile is invalid (42201) whatever it is checked against, as a registration says."""
    u = uid()
    s = f"empty-{u}"
    references = None
    if case == "parse_error":
        text = _parse_error_text(f"p{u}")
    else:
        text = proto_text(f"p{u}", "message M {\n  x.Y y = 1;\n}\n", imports=["x/y.proto"])
        if case == "reference_to_missing_subject":
            references = [{"name": "x/y.proto", "subject": f"nosuch-{u}", "version": 1}]
    cerr(register(api, s, text, references), 422, 42201)
    for version in ("latest", None):
        cerr(check(api, s, version, text, references=references), 422, 42201)


def test_parse_error_names_the_subject_path_when_it_is_a_proto_path(api):
    u = uid()
    s = f"perr{u}/a/b.proto"
    body = cerr(register(api, s, _parse_error_text(f"p{u}")), 422, 42201)
    assert re.search(re.escape(s) + r":3:\d+", body["message"]), body


@pytest.mark.parametrize("extra", [{"id": 12345}, {"version": 1}, {"id": 1, "version": 1}])
def test_explicit_id_or_version_is_42205(api, extra):
    s = subj("explicit")
    text = proto_text(f"e{uid()}", "message M {}\n")
    cerr(register(api, s, text, extra=extra), 422, 42205)
    cerr(api.get(f"{sp(s)}/versions"), 404, 40401)


def _non_object_bodies():
    text = proto_text("nob", "message M {}\n")
    return [
        ("array", b"[]"),
        ("string", b'"text"'),
        ("number", b"42"),
        ("null", b"null"),
        ("not_json", b"not json"),
        ("truncated", b'{"schema": '),
        ("schema_number", json.dumps({"schemaType": "PROTOBUF", "schema": 5}).encode()),
        ("type_number", json.dumps({"schemaType": 1, "schema": text}).encode()),
        ("references_string", json.dumps({"schemaType": "PROTOBUF", "schema": text, "references": "x"}).encode()),
        ("reference_version_string", json.dumps({"schemaType": "PROTOBUF", "schema": text, "references": [
            {"name": "a.proto", "subject": "a", "version": "1"}]}).encode()),
    ]


@pytest.mark.parametrize("name,raw", _non_object_bodies(), ids=[n for n, _ in _non_object_bodies()])
def test_bad_body_is_400(api, name, raw):
    s = subj("body")
    cerr(send(api, "POST", sp(s) + "/versions", raw), 400, 400)
    cerr(api.get(f"{sp(s)}/versions"), 404, 40401)
    register_ok(api, s, proto_text(f"b{uid()}", "message M {}\n"))
    cerr(send(api, "POST", sp(s), raw), 400, 400)
    cerr(send(api, "POST", f"/compatibility{sp(s)}/versions/latest", raw), 400, 400)
    cerr(send(api, "POST", f"/compatibility{sp(s)}/versions", raw), 400, 400)
    assert versions(api, s) == [1]


@pytest.mark.parametrize("raw", [b"[]", b'"FULL"', b"not json", json.dumps({"compatibility": 3}).encode()])
def test_bad_config_body_is_400(api, raw):
    s = subj("cfgbody")
    cerr(send(api, "PUT", f"/config/{enc(s)}", raw), 400, 400)
    cerr(api.get(f"/config/{enc(s)}"), 404, 40408)


@pytest.mark.parametrize("raw", [b"[]", b'"READONLY"', b"not json", json.dumps({"mode": 3}).encode()])
def test_bad_mode_body_is_400(api, raw):
    s = subj("modebody")
    cerr(send(api, "PUT", f"/mode/{enc(s)}", raw), 400, 400)
    cerr(api.get(f"/mode/{enc(s)}"), 404, 40409)


@pytest.mark.parametrize("raw", [
    "a" * 256,          # one byte too many
    "%01ctl",           # a control character
    "tab%09x",
    "del%7F",
    "bad%FFutf8",       # not UTF-8
    "half%C3",
])
def test_invalid_subject_is_42208(api, raw):
    text = proto_text(f"s{uid()}", "message M {}\n")
    cerr(send(api, "POST", f"/subjects/{raw}/versions", {"schemaType": "PROTOBUF", "schema": text}), 422, 42208)
    cerr(send(api, "PUT", f"/config/{raw}", {"compatibility": "NONE"}), 422, 42208)
    cerr(send(api, "PUT", f"/mode/{raw}", {"mode": "READONLY"}), 422, 42208)


def test_subject_length_limit_is_255_bytes_of_utf8(api, anon):
    u = uid()
    longest = f"lim-{u}-".ljust(255, "x")
    assert len(longest.encode()) == 255
    sid = register_ok(api, longest, proto_text(f"l{u}", "message M {}\n"))
    assert ok(anon.get(f"{sp(longest)}/versions/1"))["id"] == sid
    assert longest in ok(anon.get("/subjects", params={"subjectPrefix": f"lim-{u}"}))
    # 254 bytes + a two-byte character is 256 bytes: refused.
    too_long = f"lim-{u}-".ljust(254, "x") + "é"
    cerr(register(api, too_long, proto_text(f"l{u}", "message M {}\n")), 422, 42208)
    accented = f"ünï-{u}-café"
    register_ok(api, accented, proto_text(f"a{u}", "message M {}\n"))
    assert ok(anon.get("/subjects", params={"subjectPrefix": f"ünï-{u}"})) == [accented]


# ---- deletion --------------------------------------------------------------------------------

def test_soft_then_permanent_delete_of_a_version(api, anon):
    u = uid()
    s = f"delv-{u}"
    v1 = user_schema(f"d{u}", ["string name = 1;"])
    v2 = user_schema(f"d{u}", ["string name = 1;", "int64 id = 2;"])
    v3 = user_schema(f"d{u}", ["string name = 1;", "int64 id = 2;", "string note = 3;"])
    id1, id2, id3 = register_ok(api, s, v1), register_ok(api, s, v2), register_ok(api, s, v3)
    # Permanent first: refused, nothing changes.
    cerr(send(api, "DELETE", f"{sp(s)}/versions/2", params={"permanent": "true"}), 404, 40407)
    assert versions(api, s) == [1, 2, 3]
    assert ok(send(api, "DELETE", f"{sp(s)}/versions/2")) == 2
    assert versions(api, s) == [1, 3]
    assert versions(api, s, deleted=True) == [1, 2, 3]
    cerr(anon.get(f"{sp(s)}/versions/2"), 404, 40402)
    cerr(anon.get(f"{sp(s)}/versions/2/schema"), 404, 40402)
    found = ok(anon.get(f"{sp(s)}/versions/2", params=deleted()))
    assert found == {"subject": s, "version": 2, "id": id2, "schemaType": "PROTOBUF", "schema": v2}
    # The soft-deleted version's schema is still served by id.
    assert ok(anon.get(f"/schemas/ids/{id2}")) == {"schemaType": "PROTOBUF", "schema": v2}
    assert ok(anon.get(f"/schemas/ids/{id2}/schema")) == v2
    assert ok(anon.get(f"/schemas/ids/{id2}/versions")) == []
    assert ok(anon.get(f"/schemas/ids/{id2}/versions", params=deleted())) == [{"subject": s, "version": 2}]
    assert ok(anon.get(f"/schemas/ids/{id2}/subjects")) == []
    assert ok(anon.get(f"/schemas/ids/{id2}/subjects", params=deleted())) == [s]
    # A lookup finds it only with ?deleted=true.
    cerr(lookup(api, s, v2), 404, 40403)
    assert ok(lookup(api, s, v2, params=deleted()))["version"] == 2
    # Deleting it again softly: it is no longer a live version.
    cerr(send(api, "DELETE", f"{sp(s)}/versions/2"), 404, 40402)
    # latest / -1 name the newest live version.
    assert ok(anon.get(f"{sp(s)}/versions/latest"))["id"] == id3
    assert ok(send(api, "DELETE", f"{sp(s)}/versions/latest")) == 3
    assert versions(api, s) == [1]
    assert ok(anon.get(f"{sp(s)}/versions/-1"))["id"] == id1
    # Permanent after soft: gone, also from the ?deleted=true listings.
    assert ok(send(api, "DELETE", f"{sp(s)}/versions/2", params={"permanent": "true"})) == 2
    assert versions(api, s, deleted=True) == [1, 3]
    cerr(anon.get(f"{sp(s)}/versions/2", params=deleted()), 404, 40402)
    cerr(send(api, "DELETE", f"{sp(s)}/versions/2", params={"permanent": "true"}), 404, 40402)
    # The id no longer names that version (its schema, held by no version, may be gone: 40403).
    r = anon.get(f"/schemas/ids/{id2}/versions", params=deleted())
    if r.status_code == 404:
        cerr(r, 404, 40403)
    else:
        assert ok(r) == []
    # Version numbers are not reused: a new schema is version 4.
    v4 = user_schema(f"d{u}", ["string name = 1;", "int64 id = 2;", "bool flag = 4;"])
    register_ok(api, s, v4)
    assert versions(api, s) == [1, 4]


def test_soft_then_permanent_delete_of_a_subject(api, anon):
    u = uid()
    s = f"dels-{u}"
    v1 = user_schema(f"s{u}", ["string name = 1;"])
    v2 = user_schema(f"s{u}", ["string name = 1;", "int64 id = 2;"])
    id1, id2 = register_ok(api, s, v1), register_ok(api, s, v2)
    cerr(send(api, "DELETE", sp(s), params={"permanent": "true"}), 404, 40405)
    assert versions(api, s) == [1, 2]
    assert ok(send(api, "DELETE", sp(s))) == [1, 2]
    assert s not in ok(anon.get("/subjects"))
    assert s in ok(anon.get("/subjects", params=deleted()))
    cerr(anon.get(f"{sp(s)}/versions"), 404, 40401)
    assert versions(anon, s, deleted=True) == [1, 2]
    cerr(anon.get(f"{sp(s)}/versions/latest"), 404, 40401)
    assert ok(anon.get(f"{sp(s)}/versions/1", params=deleted()))["id"] == id1
    cerr(lookup(api, s, v1), 404, 40401)
    assert ok(lookup(api, s, v1, params=deleted()))["id"] == id1
    for sid, text in ((id1, v1), (id2, v2)):
        assert ok(anon.get(f"/schemas/ids/{sid}")) == {"schemaType": "PROTOBUF", "schema": text}
        assert ok(anon.get(f"/schemas/ids/{sid}/subjects")) == []
        assert ok(anon.get(f"/schemas/ids/{sid}/subjects", params=deleted())) == [s]
    # Soft-deleting it again: no live version.
    cerr(send(api, "DELETE", sp(s)), 404, 40401)
    assert ok(send(api, "DELETE", sp(s), params={"permanent": "true"})) == [1, 2]
    assert s not in ok(anon.get("/subjects", params=deleted()))
    cerr(anon.get(f"{sp(s)}/versions", params=deleted()), 404, 40401)
    cerr(send(api, "DELETE", sp(s), params={"permanent": "true"}), 404, 40401)


def test_a_permanently_deleted_schema_answers_the_same_whether_read_before_or_not(api, anon):
    """Two schemas, each held by one version only; the first is read by id before both versions are
    removed for good. Afterwards both ids must answer alike on every route (whatever the answer:
    the text, or 40403): an id's answer must not depend on what a server happened to cache."""
    u = uid()
    warm, cold = f"warm-{u}", f"cold-{u}"
    warm_text, cold_text = proto_text(f"w{u}", "message W {}\n"), proto_text(f"c{u}", "message C {}\n")
    warm_id, cold_id = register_ok(api, warm, warm_text), register_ok(api, cold, cold_text)
    for _ in range(2):
        assert ok(anon.get(f"/schemas/ids/{warm_id}")) == {"schemaType": "PROTOBUF", "schema": warm_text}
        assert ok(anon.get(f"/schemas/ids/{warm_id}/schema")) == warm_text
    for s in (warm, cold):
        assert ok(send(api, "DELETE", sp(s))) == [1]
        assert ok(send(api, "DELETE", sp(s), params={"permanent": "true"})) == [1]

    def answer(sid, text, suffix):
        r = anon.get(f"/schemas/ids/{sid}{suffix}")
        if r.status_code == 404:
            return ("missing", cerr(r, 404, 40403)["error_code"])
        body = ok(r)
        if suffix == "":
            assert body == {"schemaType": "PROTOBUF", "schema": text}
        elif suffix == "/schema":
            assert body == text
        return ("found", json.dumps(body).replace(str(sid), "ID").replace(text, "TEXT")
                .replace(warm, "S").replace(cold, "S"))

    for suffix in ("", "/schema", "/versions", "/subjects"):
        assert answer(warm_id, warm_text, suffix) == answer(cold_id, cold_text, suffix), suffix
    assert answer(warm_id, warm_text, "")[0] == answer(warm_id, warm_text, "/schema")[0]


# ---- references ------------------------------------------------------------------------------

def test_references_resolve_and_pin_what_they_name(api, anon):
    """Only this test uses the subject dep/common.proto."""
    u = uid()
    dep_v1 = proto_text("dep", "message Money {\n  string currency = 1;\n  int64 units = 2;\n}\n")
    dep_id = register_ok(api, DEP, dep_v1)
    assert versions(anon, DEP) == [1]
    assert DEP in ok(anon.get("/subjects"))
    ref1 = [{"name": DEP, "subject": DEP, "version": 1}]
    app = f"app-{u}"
    app_text = proto_text(f"shop{u}", "message Order {\n  dep.Money total = 1;\n}\n", imports=[DEP])
    app_id = register_ok(api, app, app_text, ref1)
    assert app_id != dep_id
    want = {"subject": app, "version": 1, "id": app_id, "schemaType": "PROTOBUF", "schema": app_text,
            "references": ref1}
    assert ok(anon.get(f"{sp(app)}/versions/1")) == want
    assert ok(anon.get(f"/schemas/ids/{app_id}")) == {"schemaType": "PROTOBUF", "schema": app_text,
                                                       "references": ref1}
    assert register_ok(api, app, app_text, ref1) == app_id
    assert versions(anon, app) == [1]
    # A lookup without references matches whatever the references; with them too.
    assert ok(lookup(api, app, app_text)) == want
    assert ok(lookup(api, app, app_text, ref1)) == want
    # Without its reference the import cannot be resolved.
    cerr(register(api, f"noref-{u}", app_text), 422, 42201)
    assert ok(anon.get("/subjects/dep%2Fcommon.proto/versions/1/referencedby")) == [app_id]
    fd = decode_fd(ok(anon.get(f"/schemas/ids/{app_id}", params={"format": "serialized"}))["schema"])
    assert fd.name == "schema.proto" and list(fd.dependency) == [DEP]
    assert fd.message_type[0].field[0].type_name == ".dep.Money"

    # A reference's own references are resolved: inv names only app, app names dep.
    inv = f"inv-{u}"
    inv_text = proto_text(f"bill{u}", f"message Invoice {{\n  shop{u}.Order order = 1;\n}}\n",
                          imports=["shop/order.proto"])
    inv_ref = [{"name": "shop/order.proto", "subject": app, "version": 1}]
    inv_id = register_ok(api, inv, inv_text, inv_ref)
    assert ok(anon.get(f"{sp(app)}/versions/1/referencedby")) == [inv_id]
    assert ok(anon.get(f"{sp(DEP)}/versions/1/referencedby")) == [app_id]
    assert ok(anon.get(f"{sp(inv)}/versions/1"))["references"] == inv_ref

    # The same content in another subject is the same id; the same text with another reference
    # version is other content: another id.
    dep_v2 = proto_text("dep", "message Money {\n  string currency = 1;\n  int64 units = 2;\n  int32 nanos = 3;\n}\n")
    dep2_id = register_ok(api, DEP, dep_v2)
    assert dep2_id not in (dep_id, app_id, inv_id)
    app2 = f"app2-{u}"
    assert register_ok(api, app2, app_text, ref1) == app_id
    assert sorted(ok(anon.get(f"/schemas/ids/{app_id}/subjects"))) == sorted([app, app2])
    ref2 = [{"name": DEP, "subject": DEP, "version": 2}]
    app2_id = register_ok(api, app2, app_text, ref2)
    assert app2_id not in (app_id, dep_id, dep2_id, inv_id)
    assert versions(anon, app2) == [1, 2]
    assert ok(anon.get(f"/schemas/ids/{app2_id}"))["references"] == ref2
    assert ok(anon.get(f"{sp(app2)}/versions/2"))["references"] == ref2
    assert ok(anon.get(f"{sp(DEP)}/versions/2/referencedby")) == [app2_id]
    assert ok(anon.get(f"{sp(DEP)}/versions/1/referencedby")) == [app_id]
    # A check with references resolves them (dep v2 adds a field to Money: compatible).
    assert ok(check(api, app, "latest", app_text, references=ref2)) == {"is_compatible": True}
    # A lookup with references matches only those references.
    cerr(lookup(api, app, app_text, ref2), 404, 40403)
    assert ok(lookup(api, app2, app_text, ref2))["id"] == app2_id

    # Missing references.
    missing = f"miss-{u}"
    cerr(register(api, missing, app_text, [{"name": DEP, "subject": f"nosuch-{u}", "version": 1}]), 422, 42201)
    cerr(register(api, missing, app_text, [{"name": DEP, "subject": DEP, "version": 9}]), 422, 42201)
    cerr(anon.get(f"{sp(missing)}/versions"), 404, 40401)

    # A referenced version cannot be deleted, nor its subject.
    for path in (f"{sp(DEP)}/versions/1", f"{sp(DEP)}/versions/2", sp(DEP)):
        cerr(send(api, "DELETE", path), 422, 42206)
    assert versions(anon, DEP) == [1, 2]
    # Once no live schema references a version, it can go.
    assert ok(send(api, "DELETE", sp(inv))) == [1]
    assert ok(anon.get(f"{sp(app)}/versions/1/referencedby")) == []
    assert ok(send(api, "DELETE", sp(app))) == [1]
    # app's schema (app_id) is still live as version 1 of app2.
    assert ok(anon.get(f"{sp(DEP)}/versions/1/referencedby")) == [app_id]
    cerr(send(api, "DELETE", f"{sp(DEP)}/versions/1"), 422, 42206)
    assert ok(send(api, "DELETE", f"{sp(app2)}/versions/1")) == 1
    assert ok(anon.get(f"{sp(DEP)}/versions/1/referencedby")) == []
    assert ok(send(api, "DELETE", f"{sp(DEP)}/versions/1")) == 1
    cerr(send(api, "DELETE", f"{sp(DEP)}/versions/2"), 422, 42206)
    assert ok(send(api, "DELETE", sp(app2))) == [2]
    assert ok(anon.get(f"{sp(DEP)}/versions/2/referencedby")) == []
    assert ok(send(api, "DELETE", sp(DEP))) == [2]


# ---- compatibility ---------------------------------------------------------------------------

def test_backward_default_rejects_removing_a_field_and_none_accepts_it(api, anon):
    u = uid()
    s = f"compat-{u}"
    v1 = user_schema(f"c{u}", ["string name = 1;", "string email = 2;"])
    removed = user_schema(f"c{u}", ["string name = 1;"])
    added = user_schema(f"c{u}", ["string name = 1;", "string email = 2;", "int64 id = 3;"])
    id1 = register_ok(api, s, v1)
    cerr(anon.get(f"/config/{enc(s)}"), 404, 40408)
    assert ok(anon.get(f"/config/{enc(s)}", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "BACKWARD"}
    for v in ("latest", "-1", "1", None):
        assert ok(check(api, s, v, removed)) == {"is_compatible": False}, v
        verbose = ok(check(api, s, v, removed, verbose=True))
        assert set(verbose) == {"is_compatible", "messages"} and verbose["is_compatible"] is False, verbose
        assert all(isinstance(m, str) for m in verbose["messages"]), verbose
        assert "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" in error_rules(" ".join(verbose["messages"])), verbose
        assert ok(check(api, s, v, added)) == {"is_compatible": True}, v
        assert ok(check(api, s, v, added, verbose=True)) == {"is_compatible": True, "messages": []}, v
    body = cerr(register(api, s, removed), 409, 409)
    assert "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" in body["message"], body
    assert versions(api, s) == [1]
    # Reserving the number makes the deletion backward compatible.
    reserved = user_schema(f"c{u}", ["string name = 1;", "reserved 2;", 'reserved "email";'])
    assert ok(check(api, s, "latest", reserved)) == {"is_compatible": True}
    set_config(api, s, "NONE")
    assert ok(check(api, s, "latest", removed)) == {"is_compatible": True}
    id2 = register_ok(api, s, removed)
    assert id2 != id1 and versions(api, s) == [1, 2]


def test_compatibility_of_a_subject_without_versions(api):
    s = subj("nocompat")
    text = proto_text(f"n{uid()}", "message M {}\n")
    assert ok(check(api, s, "latest", text)) == {"is_compatible": True}
    assert ok(check(api, s, None, text)) == {"is_compatible": True}
    assert ok(check(api, s, "latest", text, verbose=True)) == {"is_compatible": True, "messages": []}
    cerr(check(api, s, "1", text), 404, 40401)
    cerr(api.get(f"{sp(s)}/versions"), 404, 40401)  # a check stores nothing


def test_transitive_levels_and_the_newest_live_version(api):
    u = uid()
    s = f"trans-{u}"
    set_config(api, s, "NONE")
    v1 = user_schema(f"t{u}", ["int32 age = 1;"])
    v2 = user_schema(f"t{u}", ["string age = 1;"])
    v3 = user_schema(f"t{u}", ["string age = 1;", "string name = 2;"])
    register_ok(api, s, v1)
    register_ok(api, s, v2)
    set_config(api, s, "BACKWARD_TRANSITIVE")
    assert ok(check(api, s, None, v3)) == {"is_compatible": False}
    verbose = ok(check(api, s, None, v3, verbose=True))
    assert verbose["is_compatible"] is False
    assert error_rules(" ".join(verbose["messages"])) == {"FIELD_WIRE_COMPATIBLE_TYPE"}, verbose
    # Against version 2 alone it is compatible.
    assert ok(check(api, s, "2", v3)) == {"is_compatible": True}
    body = cerr(register(api, s, v3), 409, 409)
    assert "FIELD_WIRE_COMPATIBLE_TYPE" in body["message"], body
    set_config(api, s, "BACKWARD")
    assert ok(check(api, s, None, v3)) == {"is_compatible": True}
    register_ok(api, s, v3)
    assert versions(api, s) == [1, 2, 3]
    # The check is against the newest *live* version: with 2 and 3 soft-deleted, version 1 counts.
    back_to_int = user_schema(f"t{u}", ["int32 age = 1;", "string name = 2;"])
    assert ok(check(api, s, "latest", back_to_int)) == {"is_compatible": False}
    assert ok(send(api, "DELETE", f"{sp(s)}/versions/3")) == 3
    assert ok(send(api, "DELETE", f"{sp(s)}/versions/2")) == 2
    assert ok(check(api, s, "latest", back_to_int)) == {"is_compatible": True}
    register_ok(api, s, back_to_int)
    assert versions(api, s) == [1, 4]


def test_subject_level_set_get_delete_and_invalid(api, anon):
    u = uid()
    s, other = f"lvl-{u}", f"lvl2-{u}"
    register_ok(api, s, proto_text(f"l{u}", "message M {}\n"))
    cerr(anon.get(f"/config/{enc(s)}"), 404, 40408)
    for level in LEVELS:
        set_config(api, s, level)
        assert ok(anon.get(f"/config/{enc(s)}")) == {"compatibilityLevel": level}
    for bad in ("backward", "SIDEWAYS", "", "FULL ", "TRANSITIVE"):
        cerr(send(api, "PUT", f"/config/{enc(s)}", {"compatibility": bad}), 422, 42203)
    assert ok(anon.get(f"/config/{enc(s)}")) == {"compatibilityLevel": "FULL_TRANSITIVE"}
    cerr(anon.get(f"/config/{enc(other)}"), 404, 40408)
    assert ok(anon.get(f"/config/{enc(other)}", params={"defaultToGlobal": "true"})) == {
        "compatibilityLevel": "BACKWARD"}
    assert ok(anon.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    removed = ok(send(api, "DELETE", f"/config/{enc(s)}"))
    assert isinstance(removed, dict) and len(removed) == 1, removed
    assert set(removed) <= {"compatibility", "compatibilityLevel"} and list(removed.values()) == ["FULL_TRANSITIVE"]
    cerr(anon.get(f"/config/{enc(s)}"), 404, 40408)
    assert ok(anon.get(f"/config/{enc(s)}", params={"defaultToGlobal": "true"})) == {
        "compatibilityLevel": "BACKWARD"}


# ---- modes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["READONLY", "READONLY_OVERRIDE"])
def test_read_only_subject_refuses_registration_and_deletion(api, anon, mode):
    u = uid()
    s = f"ro-{u}"
    v1 = user_schema(f"r{u}", ["string name = 1;"])
    v2 = user_schema(f"r{u}", ["string name = 1;", "int64 id = 2;"])
    id1 = register_ok(api, s, v1)
    cerr(anon.get(f"/mode/{enc(s)}"), 404, 40409)
    assert ok(anon.get(f"/mode/{enc(s)}", params={"defaultToGlobal": "true"})) == {"mode": "READWRITE"}
    set_mode(api, s, mode)
    assert ok(anon.get(f"/mode/{enc(s)}")) == {"mode": mode}
    cerr(register(api, s, v2), 422, 42205)
    cerr(register(api, s, v1), 422, 42205)  # even what it already holds: no registration at all
    cerr(send(api, "DELETE", f"{sp(s)}/versions/1"), 422, 42205)
    cerr(send(api, "DELETE", sp(s)), 422, 42205)
    cerr(send(api, "DELETE", sp(s), params={"permanent": "true"}), 422, 42205)
    assert versions(api, s) == [1]
    # Reads, lookups and checks still work.
    assert ok(lookup(api, s, v1))["id"] == id1
    assert ok(check(api, s, "latest", v2)) == {"is_compatible": True}
    # Another subject is not affected.
    register_ok(api, f"rw-{u}", v1)
    assert ok(send(api, "DELETE", f"/mode/{enc(s)}")) == {"mode": mode}
    cerr(anon.get(f"/mode/{enc(s)}"), 404, 40409)
    register_ok(api, s, v2)
    assert versions(api, s) == [1, 2]


def test_import_mode_skips_the_compatibility_check(api):
    u = uid()
    s = f"imp-{u}"
    register_ok(api, s, user_schema(f"i{u}", ["string name = 1;", "string email = 2;"]))
    breaking = user_schema(f"i{u}", ["string name = 1;"])
    cerr(register(api, s, breaking), 409, 409)
    set_mode(api, s, "IMPORT")
    assert ok(api.get(f"/mode/{enc(s)}")) == {"mode": "IMPORT"}
    register_ok(api, s, breaking)
    assert versions(api, s) == [1, 2]
    # An explicit id is refused in every mode.
    cerr(register(api, s, user_schema(f"i{u}", []), extra={"id": 999999}), 422, 42205)


def test_invalid_mode_is_42204(api):
    s = subj("badmode")
    register_ok(api, s, proto_text(f"b{uid()}", "message M {}\n"))
    for bad in ("readonly", "READ_ONLY", "", "WRITEONLY"):
        cerr(send(api, "PUT", f"/mode/{enc(s)}", {"mode": bad}), 422, 42204)
        cerr(send(api, "PUT", "/mode", {"mode": bad}), 422, 42204)
    cerr(api.get(f"/mode/{enc(s)}"), 404, 40409)
    for mode in MODES:
        set_mode(api, s, mode)
        assert ok(api.get(f"/mode/{enc(s)}")) == {"mode": mode}
    assert ok(send(api, "DELETE", f"/mode/{enc(s)}")) == {"mode": "IMPORT"}
    assert ok(api.get("/mode")) == {"mode": "READWRITE"}


def test_registry_level_and_mode(spawn_spoke):
    """On a server of its own: the registry-wide level and mode."""
    p = spawn_spoke()
    c = p.client()
    try:
        u = uid()
        s, s2 = f"glob-{u}", f"glob2-{u}"
        assert ok(c.get("/config")) == {"compatibilityLevel": "BACKWARD"}
        assert ok(c.get("/mode")) == {"mode": "READWRITE"}
        register_ok(c, s, user_schema(f"g{u}", ["string name = 1;", "string email = 2;"]))
        breaking = user_schema(f"g{u}", ["string name = 1;"])
        cerr(register(c, s, breaking), 409, 409)
        set_config(c, None, "NONE")
        assert ok(c.get("/config")) == {"compatibilityLevel": "NONE"}
        cerr(c.get(f"/config/{enc(s)}"), 404, 40408)
        assert ok(c.get(f"/config/{enc(s)}", params={"defaultToGlobal": "true"})) == {"compatibilityLevel": "NONE"}
        cerr(send(c, "PUT", "/config", {"compatibility": "nope"}), 422, 42203)
        cerr(send(c, "PUT", "/config", [1]), 400, 400)
        assert ok(c.get("/config")) == {"compatibilityLevel": "NONE"}
        # The subject's own level wins over the registry's.
        set_config(c, s, "BACKWARD")
        cerr(register(c, s, breaking), 409, 409)
        ok(send(c, "DELETE", f"/config/{enc(s)}"))
        register_ok(c, s, breaking)
        assert versions(c, s) == [1, 2]
        removed = ok(send(c, "DELETE", "/config"))
        assert isinstance(removed, dict) and list(removed.values()) == ["NONE"], removed
        assert ok(c.get("/config")) == {"compatibilityLevel": "BACKWARD"}
        cerr(register(c, s, user_schema(f"g{u}", [])), 409, 409)
        # Registry-wide READONLY.
        set_mode(c, None, "READONLY")
        assert ok(c.get("/mode")) == {"mode": "READONLY"}
        cerr(c.get(f"/mode/{enc(s)}"), 404, 40409)
        assert ok(c.get(f"/mode/{enc(s)}", params={"defaultToGlobal": "true"})) == {"mode": "READONLY"}
        cerr(register(c, s2, user_schema(f"g2{u}", ["string a = 1;"])), 422, 42205)
        cerr(send(c, "DELETE", f"{sp(s)}/versions/1"), 422, 42205)
        cerr(send(c, "DELETE", sp(s)), 422, 42205)
        assert versions(c, s) == [1, 2]
        set_mode(c, None, "READWRITE")
        register_ok(c, s2, user_schema(f"g2{u}", ["string a = 1;"]))
        assert ok(c.get("/subjects")) == sorted([s, s2], key=lambda x: x.encode())
    finally:
        c.close()


# ---- authentication --------------------------------------------------------------------------

def _auth_scenario(module_spoke, api, anon):
    """Writes without a credential, with a token limited to a prefix, and a credential that does
    not verify; asserts what must succeed and returns the refusals: [(what, response, status)]."""
    u = uid()
    s = f"auth{u}.orders-value"
    text = proto_text(f"a{u}", "message M {}\n")
    refusals = [
        ("anonymous register", register(anon, s, text), 401),
        ("anonymous delete", send(anon, "DELETE", sp(s)), 401),
        ("anonymous config", send(anon, "PUT", f"/config/{enc(s)}", {"compatibility": "NONE"}), 401),
        ("anonymous mode", send(anon, "PUT", f"/mode/{enc(s)}", {"mode": "READONLY"}), 401),
        ("unknown token on a read", anon.get("/subjects", headers={"Authorization": "Bearer spoke_" + "A" * 43}),
         401),
    ]
    r = api.post("/auth/tokens", json={"name": f"cf-{u}", "scopes": ["write"], "prefixes": [f"auth{u}."]})
    assert r.status_code == 201, r.text
    limited = SpokeClient(module_spoke.url, r.json()["token"])
    try:
        sid = register_ok(limited, s, text)
        refusals += [
            ("other prefix", register(limited, f"other{u}.orders-value", text), 403),
            ("prefix is a plain string prefix", register(limited, f"auth{u}", text), 403),
            ("delete under another prefix", send(limited, "DELETE", sp(f"other{u}.x")), 403),
        ]
        assert ok(send(limited, "DELETE", f"{sp(s)}/versions/1")) == 1
        assert ok(anon.get(f"/schemas/ids/{sid}"))["schema"] == text
        assert ok(limited.get("/subjects", params={"subjectPrefix": f"auth{u}."})) == []
    finally:
        limited.close()
    return refusals


def test_writes_need_a_credential_and_prefixes_limit_subjects(module_spoke, api, anon):
    for what, r, status in _auth_scenario(module_spoke, api, anon):
        assert r.status_code == status, (what, r.status_code, r.text)
        if status == 401:
            assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), (what, r.headers)


def test_authentication_refusals_are_in_the_dialect(module_spoke, api, anon):
    """401 and 403 on the dialect's routes: {"error_code", "message"} in its media type."""
    for what, r, status in _auth_scenario(module_spoke, api, anon):
        try:
            cerr(r, status, status)
        except AssertionError as e:
            raise AssertionError(f"{what}: {e}") from None


# ---- the same verdict through both APIs ------------------------------------------------------

PAIRS = {
    "delete_field": (["string name = 1;", "string email = 2;"], ["string name = 1;"]),
    "type_change": (["int32 age = 1;"], ["string age = 1;"]),
    "string_to_bytes": (["string name = 1;"], ["bytes name = 1;"]),
    "add_field": (["string name = 1;"], ["string name = 1;", "int64 id = 2;"]),
    "to_repeated": (["int64 id = 1;", "string name = 2;"], ["repeated int64 id = 1;", "string name = 2;"]),
}
# Verdicts both APIs must give, whatever else they agree on (docs/compatibility.md).
EXPECTED = {
    ("delete_field", "BACKWARD"): False, ("delete_field", "FORWARD"): True, ("delete_field", "FULL"): False,
    ("type_change", "BACKWARD"): False, ("type_change", "FORWARD"): False, ("type_change", "FULL"): False,
    ("string_to_bytes", "BACKWARD"): True, ("string_to_bytes", "FORWARD"): False,
    ("string_to_bytes", "FULL"): False,
    ("add_field", "BACKWARD"): True, ("add_field", "FORWARD"): True, ("add_field", "FULL"): True,
}


@pytest.mark.parametrize("level", ["BACKWARD", "FORWARD", "FULL", "NONE"])
@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_same_verdict_through_both_apis(api, pair, level):
    before, after = PAIRS[pair]
    u = uid()
    pkg = f"cx{u}.v1"
    old, new = user_schema(pkg, before), user_schema(pkg, after)

    # Spoke's module API: push 1.0.0, then 2.0.0 through the gate at `level`.
    m = api.new_module("cx")
    r = api.put(f"/modules/{m}/config", json={"compatibility": level})
    assert r.status_code == 200, r.text
    api.push_ok(m, "1.0.0", {"acme/user.proto": old})
    r = api.push(m, "2.0.0", {"acme/user.proto": new})
    assert r.status_code in (201, 409), r.text
    module_ok = r.status_code == 201
    module_rules = set() if module_ok else {v["rule"] for v in r.json()["violations"] if v["level"] == "error"}
    assert module_ok or module_rules, r.text

    # The Confluent dialect: the same two texts under one subject at `level`.
    s = f"cx{u}/acme/user.proto"
    register_ok(api, s, old)
    set_config(api, s, level)
    plain = ok(check(api, s, "latest", new))
    verbose = ok(check(api, s, "latest", new, verbose=True))
    assert set(verbose) == {"is_compatible", "messages"}, verbose
    r = register(api, s, new)
    if module_ok:
        assert plain == {"is_compatible": True}, (module_rules, plain)
        assert verbose["is_compatible"] is True and error_rules(" ".join(verbose["messages"])) == set(), verbose
        ok(r)
        assert versions(api, s) == [1, 2]
    else:
        assert plain == {"is_compatible": False}, (module_rules, plain)
        assert verbose["is_compatible"] is False, verbose
        assert error_rules(" ".join(verbose["messages"])) == module_rules, (verbose, module_rules)
        body = cerr(r, 409, 409)
        assert error_rules(body["message"]) == module_rules, (body, module_rules)
        assert versions(api, s) == [1]

    if level == "NONE":
        assert module_ok
    if (pair, level) in EXPECTED:
        assert module_ok is EXPECTED[(pair, level)], (pair, level, module_rules)
    if (pair, level) == ("delete_field", "BACKWARD"):
        assert "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED" in module_rules
    if pair == "type_change" and level != "NONE":
        assert "FIELD_WIRE_COMPATIBLE_TYPE" in module_rules


@pytest.mark.parametrize("level", ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"])
def test_same_transitive_verdict_through_both_apis(api, level):
    """1: int32 age; 2 (under NONE): string age; 3: string age + a field, at `level`: compatible
    with 2, not with 1, so only the _TRANSITIVE levels refuse it."""
    u = uid()
    pkg = f"tx{u}.v1"
    texts = [user_schema(pkg, ["int32 age = 1;"]), user_schema(pkg, ["string age = 1;"]),
             user_schema(pkg, ["string age = 1;", "string name = 2;"])]
    m = api.new_module("tx")
    assert api.put(f"/modules/{m}/config", json={"compatibility": "NONE"}).status_code == 200
    api.push_ok(m, "1.0.0", {"acme/user.proto": texts[0]})
    api.push_ok(m, "2.0.0", {"acme/user.proto": texts[1]})
    assert api.put(f"/modules/{m}/config", json={"compatibility": level}).status_code == 200
    r = api.push(m, "3.0.0", {"acme/user.proto": texts[2]})
    assert r.status_code in (201, 409), r.text
    module_ok = r.status_code == 201
    module_rules = set() if module_ok else {v["rule"] for v in r.json()["violations"] if v["level"] == "error"}

    s = f"tx{u}/acme/user.proto"
    set_config(api, s, "NONE")
    register_ok(api, s, texts[0])
    register_ok(api, s, texts[1])
    set_config(api, s, level)
    verbose = ok(check(api, s, None, texts[2], verbose=True))
    assert verbose["is_compatible"] is module_ok, (verbose, module_rules)
    assert error_rules(" ".join(verbose["messages"])) == module_rules, (verbose, module_rules)
    r = register(api, s, texts[2])
    if module_ok:
        ok(r)
        assert versions(api, s) == [1, 2, 3]
    else:
        assert error_rules(cerr(r, 409, 409)["message"]) == module_rules
        assert versions(api, s) == [1, 2]
    assert module_ok is (level == "BACKWARD"), (level, module_rules)
    if not module_ok:
        assert module_rules == {"FIELD_WIRE_COMPATIBLE_TYPE"}


def test_rate_limit_answers_429_in_the_dialect(spawn_spoke):
    p = spawn_spoke(env={"SPOKE_RATE_LIMIT": "3/m:3"})
    c = p.client()
    try:
        statuses = []
        for _ in range(6):
            r = c.get("/schemas/types")
            statuses.append(r.status_code)
            if r.status_code == 429:
                break
        assert statuses[-1] == 429, statuses
        assert r.headers.get("Retry-After"), r.headers
        cerr(r, 429, 429)
    finally:
        c.close()


# ---- where it is stored ----------------------------------------------------------------------

@pytest.mark.filesystem_only("the filesystem layout of docs/confluent.md")
def test_filesystem_layout(module_spoke, api):
    u = uid()
    s = f"fs{u}/layout.proto"
    sid = register_ok(api, s, proto_text(f"fs{u}", "message F {}\n"))
    set_config(api, s, "FULL")
    base = os.path.join(module_spoke.root, "confluent")
    assert os.path.isfile(os.path.join(base, "schemas", f"{sid}.json")), os.listdir(os.path.join(base, "schemas"))
    names = {n.lower() for n in os.listdir(os.path.join(base, "subjects"))}
    assert hashlib.sha256(s.encode()).hexdigest() + ".json" in names, sorted(names)[:20]
    assert os.path.isfile(os.path.join(base, "settings.json"))


@pytest.mark.postgres_only("the tables of docs/confluent.md")
def test_postgres_tables(module_spoke, api):
    u = uid()
    s, dep = f"pg{u}:value", f"pg{u}/dep.proto"
    dep_id = register_ok(api, dep, proto_text(f"pgd{u}", "message D {}\n"))
    sid = register_ok(api, s, proto_text(f"pg{u}", f"message P {{\n  pgd{u}.D d = 1;\n}}\n", imports=["d.proto"]),
                      [{"name": "d.proto", "subject": dep, "version": 1}])
    set_config(api, s, "FULL")
    set_mode(api, s, "IMPORT")
    url = url_for_database(os.environ["PG_PRIMARY_URL"], module_spoke.database)
    assert _psql(url, f"SELECT schema_type FROM confluent_schemas WHERE id = {sid}") == "PROTOBUF"
    assert _psql(url, f"SELECT version || ',' || schema_id || ',' || deleted FROM confluent_subject_versions "
                      f"WHERE subject = '{s}'") == f"1,{sid},false"
    assert _psql(url, f"SELECT schema_id FROM confluent_schema_refs WHERE subject = '{dep}' AND version = 1") == \
        str(sid)
    assert _psql(url, f"SELECT setting || '=' || value FROM confluent_settings WHERE subject = '{s}' "
                      "ORDER BY setting") == "compatibility=FULL\nmode=IMPORT"
    assert dep_id != sid


# ---- restart and several instances -----------------------------------------------------------

def _snapshot(c):
    """Everything the dialect serves about a registry's subjects, ids, levels and modes."""
    snap = {"subjects": ok(c.get("/subjects")), "all": ok(c.get("/subjects", params=deleted())),
            "config": ok(c.get("/config")), "mode": ok(c.get("/mode")), "versions": {}, "ids": {}, "own": {}}
    for s in snap["all"]:
        vs = versions(c, s, deleted=True)
        snap["versions"][s] = (vs, c.get(f"{sp(s)}/versions").json())
        for v in vs:
            body = ok(c.get(f"{sp(s)}/versions/{v}", params=deleted()))
            snap["versions"][(s, v)] = body
            sid = body["id"]
            snap["ids"][sid] = (ok(c.get(f"/schemas/ids/{sid}")),
                                ok(c.get(f"/schemas/ids/{sid}/versions", params=deleted())),
                                ok(c.get(f"/schemas/ids/{sid}/subjects")))
        snap["own"][s] = (c.get(f"/config/{enc(s)}").json(), c.get(f"/mode/{enc(s)}").json())
    return snap


def test_subjects_versions_and_ids_survive_a_restart(spawn_spoke):
    p = spawn_spoke(name="before")
    c = p.client()
    u = uid()
    a, b, dep = f"ns{u}:orders-value", f"r{u}/b.proto", f"r{u}/dep.proto"
    ids = {register_ok(c, dep, proto_text(f"d{u}", "message D {}\n"))}
    ids.add(register_ok(c, a, user_schema(f"a{u}", ["string name = 1;"])))
    ids.add(register_ok(c, a, user_schema(f"a{u}", ["string name = 1;", "int64 id = 2;"])))
    ids.add(register_ok(c, a, user_schema(f"a{u}", ["string name = 1;", "int64 id = 2;", "bool x = 3;"])))
    ids.add(register_ok(c, b, proto_text(f"b{u}", "message B {\n  d" + u + ".D d = 1;\n}\n",
                                          imports=[f"r{u}/dep.proto"]),
                        [{"name": f"r{u}/dep.proto", "subject": dep, "version": 1}]))
    assert ok(send(c, "DELETE", f"{sp(a)}/versions/2")) == 2
    set_config(c, a, "FULL")
    set_mode(c, b, "READONLY")
    set_config(c, None, "FORWARD")
    gone = f"gone-{u}"
    ids.add(register_ok(c, gone, proto_text(f"g{u}", "message G {}\n")))
    ok(send(c, "DELETE", sp(gone)))
    before = _snapshot(c)
    c.close()
    assert len(ids) == 6
    assert before["subjects"] == sorted([a, b, dep], key=lambda x: x.encode())
    assert p.stop() == []

    p.start()
    c = p.client()
    try:
        after = _snapshot(c)
        assert after == before
        # A new schema gets a new id: ids are never reused.
        new_id = register_ok(c, f"new-{u}", proto_text(f"n{u}", "message N {}\n"))
        assert new_id not in ids
        # The registered content keeps its id.
        assert register_ok(c, f"again-{u}", user_schema(f"a{u}", ["string name = 1;"])) == \
            before["versions"][(a, 1)]["id"]
        cerr(register(c, b, proto_text(f"b{u}", "message Other {}\n")), 422, 42205)
    finally:
        c.close()


def test_concurrent_registrations_into_one_subject(module_spoke, api):
    """20 different schemas registered into one subject at once through one server (level NONE):
    each gets a version (1..20) and its own id; none is refused."""
    u = uid()
    shared = f"conc-{u}"
    set_config(api, shared, "NONE")
    local, clients, lock = threading.local(), [], threading.Lock()

    def one(i):
        if not hasattr(local, "c"):
            local.c = module_spoke.client()
            with lock:
                clients.append(local.c)
        text = proto_text(f"conc{u}", f"message C{i} {{}}\n")
        r = register(local.c, shared, text)
        return text, r.status_code, r.text

    try:
        with ThreadPoolExecutor(max_workers=8) as ex:
            results = list(ex.map(one, range(20)))
    finally:
        for c in clients:
            c.close()
    refused = [(status, body) for _, status, body in results if status != 200]
    assert not refused, f"{len(refused)} of 20 refused: {refused[:3]}"
    by_id = {json.loads(body)["id"]: text for text, _, body in results}
    assert len(by_id) == 20
    assert versions(api, shared) == list(range(1, 21))
    for v in range(1, 21):
        got = ok(api.get(f"{sp(shared)}/versions/{v}"))
        assert got["schema"] == by_id[got["id"]]


class _Pair:
    """Two servers on one database and a client of each per thread."""

    def __init__(self, spawn_spoke):
        self.a = spawn_spoke(name="a")
        self.b = spawn_spoke(name="b", root=self.a.root)
        self.token = self.a.admin_token
        self.local = threading.local()
        self.clients, self.lock = [], threading.Lock()

    def client(self, p):
        cache = getattr(self.local, "clients", None)
        if cache is None:
            cache = self.local.clients = {}
        if p.name not in cache:
            cache[p.name] = SpokeClient(p.url, self.token)
            with self.lock:
                self.clients.append(cache[p.name])
        return cache[p.name]

    def run(self, jobs, fn):
        with ThreadPoolExecutor(max_workers=8) as ex:
            return list(ex.map(fn, jobs))

    def close(self):
        for c in self.clients:
            c.close()


@pytest.mark.postgres_only("two instances share one database")
def test_two_instances_register_concurrently_on_one_database(spawn_spoke):
    pair = _Pair(spawn_spoke)
    a, b, client = pair.a, pair.b, pair.client
    u = uid()
    try:
        # 2 x 20 different schemas in 40 subjects, at once through both instances.
        def distinct(job):
            p, i = job
            s = f"cc-{u}-{p.name}-{i}"
            text = proto_text(f"cc{u}.{p.name}{i}", f"message M{i} {{\n  string f = 1;\n}}\n")
            return s, text, register_ok(client(p), s, text)

        results = pair.run([(p, i) for i in range(20) for p in (a, b)], distinct)
        ids = [r[2] for r in results]
        assert len(set(ids)) == 40, sorted(ids)
        for s, text, sid in results:
            for p in (a, b):
                assert ok(client(p).get(f"/schemas/ids/{sid}")) == {"schemaType": "PROTOBUF", "schema": text}
                assert ok(client(p).get(f"{sp(s)}/versions/1"))["id"] == sid
                assert ok(client(p).get(f"/schemas/ids/{sid}/subjects")) == [s]
        for p in (a, b):
            assert ok(client(p).get("/subjects", params={"subjectPrefix": f"cc-{u}-"})) == sorted(
                (r[0] for r in results), key=lambda x: x.encode())

        # What one instance writes, the other serves at once (both read the database).
        s0, text0, id0 = results[0]
        assert ok(client(b).get(f"{sp(s0)}/versions")) == [1]
        assert ok(send(client(a), "DELETE", sp(s0))) == [1]
        cerr(client(b).get(f"{sp(s0)}/versions"), 404, 40401)
        assert ok(client(b).get(f"/schemas/ids/{id0}/subjects")) == []
        assert ok(client(b).get(f"/schemas/ids/{id0}")) == {"schemaType": "PROTOBUF", "schema": text0}
        set_config(client(b), s0, "FULL")
        assert ok(client(a).get(f"/config/{enc(s0)}")) == {"compatibilityLevel": "FULL"}
        set_mode(client(a), s0, "READONLY")
        cerr(register(client(b), s0, text0), 422, 42205)

        # The same content through both instances at once (into one subject, and into a subject
        # each): one id, one version per subject.
        def same_content(job):
            p, i, where = job
            text = proto_text(f"same{u}.n{i}", "message Same {}\n")
            s = f"same-{u}-{i}" if where == "one" else f"same-{u}-{i}-{p.name}"
            return i, register_ok(client(p), s, text)

        jobs = [(p, i, where) for i in range(10) for where in ("one", "two") for p in (a, b)]
        by_content = {}
        for i, sid in pair.run(jobs, same_content):
            by_content.setdefault(i, set()).add(sid)
        assert all(len(v) == 1 for v in by_content.values()), by_content
        assert len(set().union(*by_content.values())) == 10
        assert set().union(*by_content.values()).isdisjoint(ids)
        for i in range(10):
            (sid,) = by_content[i]
            for p in (a, b):
                assert versions(client(p), f"same-{u}-{i}") == [1]
                assert sorted(ok(client(p).get(f"/schemas/ids/{sid}/subjects"))) == sorted(
                    [f"same-{u}-{i}", f"same-{u}-{i}-a", f"same-{u}-{i}-b"])
    finally:
        pair.close()


@pytest.mark.postgres_only("two instances share one database")
def test_two_instances_register_into_one_subject_concurrently(spawn_spoke):
    """2 x 10 different schemas into one subject (level NONE) at once: versions 1..20, one per
    schema, the same through both instances."""
    pair = _Pair(spawn_spoke)
    a, b, client = pair.a, pair.b, pair.client
    u = uid()
    shared = f"shared-{u}"
    try:
        set_config(client(a), shared, "NONE")

        def same_subject(job):
            p, i = job
            text = proto_text(f"sh{u}", f"message S{p.name}{i} {{}}\n")
            return text, register_ok(client(p), shared, text)

        results = pair.run([(p, i) for i in range(10) for p in (a, b)], same_subject)
        by_id = {sid: text for text, sid in results}
        assert len(by_id) == 20
        for p in (a, b):
            assert versions(client(p), shared) == list(range(1, 21))
        seen = set()
        for v in range(1, 21):
            va, vb = (ok(client(p).get(f"{sp(shared)}/versions/{v}")) for p in (a, b))
            assert va == vb
            assert va["schema"] == by_id[va["id"]]
            seen.add(va["id"])
        assert seen == set(by_id)
    finally:
        pair.close()
