"""Modules: create, get, list with paging and prefix, name validation."""

import pytest

from harness.spoke_api import RFC3339_MS, assert_error, assert_json, proto, unique

MODULE_FIELDS = {"name", "description", "created_at", "updated_at", "latest_version", "version_count"}


def test_create_module_returns_201_module(api):
    name = unique("create")
    r = api.create_module(name, "Payments schemas")
    assert r.status_code == 201, r.text
    body = assert_json(r)
    assert set(body) == MODULE_FIELDS
    assert body["name"] == name
    assert body["description"] == "Payments schemas"
    assert RFC3339_MS.match(body["created_at"]), body
    assert RFC3339_MS.match(body["updated_at"]), body
    assert body["latest_version"] is None
    assert body["version_count"] == 0


def test_create_module_without_description_has_empty_description(api):
    name = unique("nodesc")
    r = api.create_module(name)
    assert r.status_code == 201, r.text
    assert r.json()["description"] == ""


def test_duplicate_module_is_409_and_keeps_the_first(api):
    name = unique("dup")
    assert api.create_module(name, "first").status_code == 201
    assert_error(api.create_module(name, "second"), 409, "MODULE_EXISTS")
    r = api.get(f"/modules/{name}")
    assert r.status_code == 200
    assert r.json()["description"] == "first"


@pytest.mark.parametrize("bad", [
    "", "Upper", "1leading-digit", "-dash", "has space", "slash/name", "under\u00e9", "a" * 129, "x!",
])
def test_bad_module_name_is_400_and_not_created(api, bad):
    assert_error(api.create_module(bad), 400, "BAD_REQUEST")
    if bad:
        r = api.get("/modules", params={"prefix": bad})
        assert r.status_code == 200 and r.json() == [], r.text


def test_longest_module_name_is_accepted(api):
    name = "z" + unique("long").replace("-", "")
    name = name + "a" * (128 - len(name))
    assert len(name) == 128
    r = api.create_module(name)
    assert r.status_code == 201, r.text
    assert api.get(f"/modules/{name}").json()["name"] == name


@pytest.mark.parametrize("body", [
    {"description": "no name"},
    {"name": 42},
    {"name": None},
    {"name": ["a"]},
    {"name": "okname", "description": 7},
])
def test_create_module_wrong_types_is_400(api, body):
    assert_error(api.post("/modules", json=body), 400, "BAD_REQUEST")
    if body.get("name") == "okname":
        assert_error(api.get("/modules/okname"), 404, "NOT_FOUND")


def test_create_module_malformed_json_is_400(api):
    assert_error(api.post_raw("/modules", b'{"name": "abc"'), 400, "BAD_REQUEST")
    assert_error(api.get("/modules/abc"), 404, "NOT_FOUND")


def test_get_module_with_versions_newest_first(api):
    name = api.new_module("getmod")
    for v in ["1.0.0", "1.1.0", "0.9.0"]:
        api.push_ok(name, v, {"a.proto": proto("getmod", f"message M{v.replace('.', '_')} {{}}")})
    r = api.get(f"/modules/{name}")
    assert r.status_code == 200
    body = assert_json(r)
    assert set(body) == MODULE_FIELDS | {"versions"}
    assert body["latest_version"] == "1.1.0"
    assert body["version_count"] == 3
    assert [v["version"] for v in body["versions"]] == ["1.1.0", "1.0.0", "0.9.0"]
    assert all(v["module_name"] == name for v in body["versions"])
    assert all("content" not in f for v in body["versions"] for f in v["files"])


def test_get_unknown_module_is_404(api):
    assert_error(api.get(f"/modules/{unique('missing')}"), 404, "NOT_FOUND")


def test_list_modules_name_order_prefix_and_paging(api):
    prefix = unique("lst") + "-"
    names = [prefix + s for s in ["delta", "alpha", "charlie", "bravo", "echo"]]
    for n in names:
        assert api.create_module(n).status_code == 201
    expected = sorted(names)

    r = api.get("/modules", params={"prefix": prefix})
    assert r.status_code == 200
    assert [m["name"] for m in assert_json(r)] == expected
    assert r.headers["X-Total-Count"] == "5"
    assert all(set(m) == MODULE_FIELDS for m in r.json())

    r = api.get("/modules", params={"prefix": prefix, "limit": 2, "offset": 0})
    assert [m["name"] for m in r.json()] == expected[:2]
    assert r.headers["X-Total-Count"] == "5"
    r = api.get("/modules", params={"prefix": prefix, "limit": 2, "offset": 2})
    assert [m["name"] for m in r.json()] == expected[2:4]
    r = api.get("/modules", params={"prefix": prefix, "limit": 2, "offset": 4})
    assert [m["name"] for m in r.json()] == expected[4:]
    r = api.get("/modules", params={"prefix": prefix, "limit": 2, "offset": 10})
    assert r.status_code == 200 and r.json() == []
    assert r.headers["X-Total-Count"] == "5"


def test_list_modules_keyset_pages_follow_the_link_header(api):
    prefix = unique("key") + "-"
    names = sorted(prefix + s for s in ["a", "b", "b.x", "b-x", "c", "d_e", "f"])
    for n in names:
        assert api.create_module(n).status_code == 201

    # Following rel="next" from the first page visits every module once, in byte order.
    seen, url, pages = [], f"/modules?limit=3&prefix={prefix}", 0
    while url:
        r = api.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["X-Total-Count"] == str(len(names))
        seen += [m["name"] for m in r.json()]
        link = r.headers.get("Link")
        url = None
        if link is not None:
            assert link.startswith("</modules?") and link.endswith('>; rel="next"'), link
            url = link[1:link.index(">")]
            assert f"after={seen[-1]}" in url and "limit=3" in url, url
        pages += 1
        assert pages <= len(names)
    assert seen == names
    assert pages == 3  # 3 + 3 + 1: a short page has no next link

    # `after` need not name a module; offset skips after it.
    r = api.get("/modules", params={"prefix": prefix, "after": prefix + "b.y"})
    assert [m["name"] for m in r.json()] == [n for n in names if n > prefix + "b.y"]
    r = api.get("/modules", params={"prefix": prefix, "after": prefix + "b", "offset": 1,
                                    "limit": 2})
    assert [m["name"] for m in r.json()] == [prefix + "b.x", prefix + "c"]
    # A full last page still links on; the next one is empty and does not.
    r = api.get("/modules", params={"prefix": prefix, "after": prefix + "c", "limit": 2})
    assert [m["name"] for m in r.json()] == [prefix + "d_e", prefix + "f"]
    r = api.get(r.headers["Link"][1:r.headers["Link"].index(">")])
    assert r.status_code == 200 and r.json() == [] and "Link" not in r.headers


def test_list_modules_link_header_encodes_the_prefix(api):
    name = api.new_module("enc")
    r = api.get("/modules", params={"prefix": name, "limit": 1})
    assert [m["name"] for m in r.json()] == [name]
    assert r.headers["Link"] == f'</modules?limit=1&after={name}&prefix={name}>; rel="next"'
    r = api.get("/modules", params={"prefix": "a b&c=d/é", "limit": 1})
    assert r.status_code == 200 and r.json() == [] and "Link" not in r.headers


def test_list_modules_unmatched_prefix_is_empty(api):
    r = api.get("/modules", params={"prefix": unique("nothing-here")})
    assert r.status_code == 200
    assert r.json() == []
    assert r.headers["X-Total-Count"] == "0"


@pytest.mark.parametrize("params", [
    {"limit": "-1"}, {"limit": "abc"}, {"offset": "-5"}, {"offset": "x"}, {"limit": "1.5"},
])
def test_list_modules_bad_paging_is_400(api, params):
    assert_error(api.get("/modules", params=params), 400, "BAD_REQUEST")


def test_module_counts_follow_pushes(api):
    name = api.new_module("counts")
    r1 = api.get(f"/modules/{name}").json()
    api.push_ok(name, "2.0.0", {"a.proto": proto("counts", "message A {}")})
    r2 = api.get(f"/modules/{name}").json()
    assert r2["version_count"] == 1
    assert r2["latest_version"] == "2.0.0"
    assert r2["created_at"] == r1["created_at"]
    assert r2["updated_at"] >= r1["updated_at"]
