"""Version pushes and reads: summaries, digests, imports, dependencies, latest, ordering, immutability."""

import random
import time

from harness.spoke_api import (DIGEST_RE, RFC3339_MS, assert_error, assert_json, assert_version_summary,
                               expected_digest, proto, sha256_hex, unique)

ORDERS = proto("shop.orders.v1", """
import "shop/common/v1/money.proto";
message Order {
  string id = 1;
  shop.common.v1.Money total = 2;
}""")
MONEY = proto("shop.common.v1", """
message Money {
  string currency = 1;
  int64 units = 2;
}""")


def test_push_returns_201_summary_with_digest(api):
    m = api.new_module("push")
    files = {"shop/orders/v1/orders.proto": ORDERS, "shop/common/v1/money.proto": MONEY}
    r = api.push(m, "1.0.0", files)
    assert r.status_code == 201, r.text
    s = assert_json(r)
    assert_version_summary(s, m, "1.0.0", files)
    assert [f["path"] for f in s["files"]] == ["shop/common/v1/money.proto", "shop/orders/v1/orders.proto"]


def test_get_version_has_contents_and_same_metadata(api):
    m = api.new_module("getv")
    files = {"b.proto": proto("getv", "message B {}"), "a.proto": proto("getv", "message A {}", ["b.proto"])}
    s = api.push_ok(m, "0.1.0", files)
    r = api.get(f"/modules/{m}/versions/0.1.0")
    assert r.status_code == 200
    v = assert_json(r)
    assert v["digest"] == s["digest"]
    assert v["created_at"] == s["created_at"]
    assert v["module_name"] == m and v["version"] == "0.1.0"
    assert v["files"] == [{"path": p, "sha256": sha256_hex(files[p]), "size": len(files[p]), "content": files[p]}
                          for p in sorted(files)]


def test_digest_ignores_file_order_and_is_stable_across_modules(api):
    files = {"x/one.proto": proto("x", "message One {}"), "x/two.proto": proto("x", "message Two {}")}
    m1, m2 = api.new_module("dig"), api.new_module("dig")
    s1 = api.push_ok(m1, "1.0.0", dict(sorted(files.items())))
    s2 = api.push_ok(m2, "1.0.0", dict(sorted(files.items(), reverse=True)))
    assert DIGEST_RE.match(s1["digest"])
    assert s1["digest"] == s2["digest"] == expected_digest(files)


def test_source_info_is_kept(api):
    m = api.new_module("src")
    info = {"repository": "https://example.com/shop.git", "commit_sha": "0123abcd" * 5, "branch": "main"}
    r = api.push(m, "1.0.0", {"a.proto": proto("src", "message A {}")}, source_info=info)
    assert r.status_code == 201, r.text
    assert r.json()["source_info"] == info
    assert api.get(f"/modules/{m}/versions/1.0.0").json()["source_info"] == info


def test_well_known_type_imports_compile(api):
    m = api.new_module("wkt")
    files = {"ev.proto": proto("wkt", """
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/any.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/descriptor.proto";
message Event {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Duration took = 2;
  google.protobuf.Any payload = 3;
  google.protobuf.Struct attrs = 4;
  google.protobuf.StringValue note = 5;
  google.protobuf.FieldMask mask = 6;
}
extend google.protobuf.FieldOptions { string label = 50001; }
service S { rpc Ping(google.protobuf.Empty) returns (google.protobuf.Empty); }""")}
    r = api.push(m, "1.0.0", files)
    assert r.status_code == 201, r.text
    assert_version_summary(r.json(), m, "1.0.0", files)


def test_cross_module_dependency(api):
    base = api.new_module("base")
    app = api.new_module("app")
    api.push_ok(base, "v1.0.0", {"shop/common/v1/money.proto": MONEY})
    files = {"shop/orders/v1/orders.proto": ORDERS}
    # Without the dependency the import does not resolve.
    assert_error(api.push(app, "1.0.0", files), 422, "UNRESOLVED_IMPORT")
    r = api.push(app, "1.0.0", files, dependencies=[f"{base}@v1.0.0"])
    assert r.status_code == 201, r.text
    assert_version_summary(r.json(), app, "1.0.0", files, [f"{base}@v1.0.0"])
    got = api.get(f"/modules/{app}/versions/1.0.0").json()
    assert got["dependencies"] == [f"{base}@v1.0.0"]


def test_dependency_on_latest_is_resolved_to_an_exact_version(api):
    base = api.new_module("base")
    app = api.new_module("app")
    api.push_ok(base, "1.0.0", {"shop/common/v1/money.proto": MONEY})
    api.push_ok(base, "1.1.0", {"shop/common/v1/money.proto": MONEY + "message Extra {}\n"})
    api.push_ok(base, "2.0.0-rc.1", {"shop/common/v1/money.proto": MONEY + "message Rc {}\n"})
    files = {"shop/orders/v1/orders.proto": ORDERS}
    s = api.push_ok(app, "1.0.0", files, dependencies=[f"{base}@latest"])
    assert s["dependencies"] == [f"{base}@1.1.0"]
    assert s["digest"] == expected_digest(files, [f"{base}@1.1.0"])


def test_transitive_dependency_files_are_importable(api):
    a, b, c = api.new_module("ta"), api.new_module("tb"), api.new_module("tc")
    api.push_ok(a, "1.0.0", {"a/a.proto": proto("a", "message A {}")})
    api.push_ok(b, "1.0.0", {"b/b.proto": proto("b", "message B { a.A a = 1; }", ["a/a.proto"])},
                dependencies=[f"{a}@1.0.0"])
    # c imports a file of its transitive dependency a.
    r = api.push(c, "1.0.0", {"c/c.proto": proto("c", "message C { b.B b = 1; a.A a = 2; }",
                                                   ["b/b.proto", "a/a.proto"])},
                 dependencies=[f"{b}@1.0.0"])
    assert r.status_code == 201, r.text
    assert r.json()["dependencies"] == [f"{b}@1.0.0"]


def test_latest_excludes_prereleases_when_a_release_exists(api):
    m = api.new_module("latest")
    for v in ["1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "1.10.0-beta"]:
        api.push_ok(m, v, {"a.proto": proto("latest", f"// {v}\nmessage A {{}}")})
    r = api.get(f"/modules/{m}/versions/latest")
    assert r.status_code == 200
    assert r.json()["version"] == "1.10.0"
    assert "// 1.10.0\n" in r.json()["files"][0]["content"]
    assert api.get(f"/modules/{m}").json()["latest_version"] == "1.10.0"
    r = api.get(f"/modules/{m}/versions/latest/files/a.proto")
    assert r.status_code == 200 and "// 1.10.0\n" in r.json()["content"]


def test_latest_is_highest_prerelease_when_no_release_exists(api):
    m = api.new_module("pre")
    for v in ["1.0.0-alpha", "1.0.0-beta.2", "1.0.0-beta.11", "0.9.0-rc.1"]:
        api.push_ok(m, v, {"a.proto": proto("pre", "message A {}")})
    assert api.get(f"/modules/{m}/versions/latest").json()["version"] == "1.0.0-beta.11"
    assert api.get(f"/modules/{m}").json()["latest_version"] == "1.0.0-beta.11"


def test_latest_follows_prerelease_precedence_whatever_the_push_order(api):
    m = api.new_module("prelatest")
    # semver.org 2.0.0, section 11: each pushed after a greater one, and with longer identifier
    # lists and longer numbers than what it must beat.
    for v in ["1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-beta.2", "1.0.0-beta", "1.0.0-alpha.beta",
              "1.0.0-alpha.1", "1.0.0-alpha", "1.0.0-alpha-x", "1.0.0-99999", "0.9.9-rc.2"]:
        api.push_ok(m, v, {"a.proto": proto("prelatest", "message A {}")})
        assert api.get(f"/modules/{m}").json()["latest_version"] == "1.0.0-rc.1", v
    api.push_ok(m, "1.0.0-rc.1.1", {"a.proto": proto("prelatest", "message A {}")})
    assert api.get(f"/modules/{m}/versions/latest").json()["version"] == "1.0.0-rc.1.1"
    api.push_ok(m, "0.1.0", {"a.proto": proto("prelatest", "message A {}")})
    assert api.get(f"/modules/{m}/versions/latest").json()["version"] == "0.1.0"


def test_latest_among_equal_precedence_is_the_later_push(api):
    m = api.new_module("buildmeta")
    api.push_ok(m, "1.0.0+a", {"a.proto": proto("buildmeta", "message A {}")})
    time.sleep(0.01)  # created_at has millisecond resolution; a tie would go to "+a"
    api.push_ok(m, "1.0.0+b", {"a.proto": proto("buildmeta", "message A {}")})
    assert api.get(f"/modules/{m}/versions/latest").json()["version"] == "1.0.0+b"
    assert api.get(f"/modules/{m}").json()["latest_version"] == "1.0.0+b"


def test_latest_of_module_without_versions_is_404(api):
    m = api.new_module("empty")
    assert_error(api.get(f"/modules/{m}/versions/latest"), 404, "NOT_FOUND")


def test_listing_is_newest_first_by_semver_precedence(api):
    m = api.new_module("order")
    # semver.org 2.0.0, section 11, in increasing precedence, plus larger releases.
    ascending = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                 "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0", "10.0.0"]
    shuffled = ascending[:]
    random.Random(7).shuffle(shuffled)
    for v in shuffled:
        api.push_ok(m, v, {"a.proto": proto("order", "message A {}")})
    listed = [v["version"] for v in api.versions(m)]
    assert listed == list(reversed(ascending))
    detail = api.get(f"/modules/{m}").json()
    assert [v["version"] for v in detail["versions"]] == list(reversed(ascending))
    assert detail["version_count"] == len(ascending)


def test_v_prefix_names_the_same_version(api):
    m = api.new_module("vpre")
    files = {"a.proto": proto("vpre", "message A {}")}
    s = api.push_ok(m, "v1.2.3", files)
    assert s["version"] == "v1.2.3"
    for spelling in ["1.2.3", "v1.2.3"]:
        r = api.get(f"/modules/{m}/versions/{spelling}")
        assert r.status_code == 200, (spelling, r.text)
        assert r.json()["version"] == "v1.2.3"
        assert r.json()["digest"] == s["digest"]
    # Identical content under the other spelling is the same version: 200, not a second one.
    r = api.push(m, "1.2.3", files)
    assert r.status_code == 200, r.text
    assert r.json()["digest"] == s["digest"]
    assert r.json()["version"] == "v1.2.3"
    # Different content under the other spelling conflicts.
    assert_error(api.push(m, "1.2.3", {"a.proto": proto("vpre", "message B {}")}), 409, "VERSION_EXISTS")
    assert [v["version"] for v in api.versions(m)] == ["v1.2.3"]


def test_identical_repush_is_200_with_the_original_summary(api):
    m = api.new_module("same")
    files = {"a.proto": proto("same", "message A {}"), "b.proto": proto("same", "message B {}")}
    first = api.push_ok(m, "1.0.0", files)
    r = api.push(m, "1.0.0", dict(reversed(list(files.items()))))
    assert r.status_code == 200, r.text
    again = assert_json(r)
    assert again == first
    assert len(api.versions(m)) == 1


def test_different_content_for_existing_version_is_409_and_changes_nothing(api):
    m = api.new_module("conflict")
    files = {"a.proto": proto("conflict", "message A {}")}
    first = api.push_ok(m, "1.0.0", files)
    for other in [{"a.proto": proto("conflict", "message A { string x = 1; }")},
                  {"a.proto": files["a.proto"], "extra.proto": proto("conflict", "message E {}")},
                  {"renamed.proto": files["a.proto"]}]:
        body = assert_error(api.push(m, "1.0.0", other), 409, "VERSION_EXISTS")
        assert "1.0.0" in body["error"]
    got = api.get(f"/modules/{m}/versions/1.0.0").json()
    assert got["digest"] == first["digest"]
    assert [f["content"] for f in got["files"]] == [files["a.proto"]]


def test_different_dependencies_for_existing_version_is_409(api):
    base = api.new_module("base")
    m = api.new_module("depconf")
    api.push_ok(base, "1.0.0", {"base/b.proto": proto("base", "message B {}")})
    files = {"a.proto": proto("depconf", "message A {}")}
    api.push_ok(m, "1.0.0", files)
    assert_error(api.push(m, "1.0.0", files, dependencies=[f"{base}@1.0.0"]), 409, "VERSION_EXISTS")


def test_build_metadata_and_prerelease_names_are_accepted(api):
    m = api.new_module("names")
    for v in ["1.2.3-rc.1+build.5", "v0.0.1", "0.0.0-0", "1.0.0+20240101"]:
        r = api.push(m, v, {"a.proto": proto("names", "message A {}")})
        assert r.status_code == 201, (v, r.text)
        assert r.json()["version"] == v
        got = api.get(f"/modules/{m}/versions/{v}")
        assert got.status_code == 200 and got.json()["version"] == v


def test_unknown_version_and_module_are_404(api):
    m = api.new_module("nf")
    assert_error(api.get(f"/modules/{m}/versions/9.9.9"), 404, "NOT_FOUND")
    assert_error(api.get(f"/modules/{unique('nomod')}/versions/1.0.0"), 404, "NOT_FOUND")
    assert_error(api.get(f"/modules/{unique('nomod')}/versions"), 404, "NOT_FOUND")


def test_push_to_unknown_module_is_404_and_creates_nothing(api):
    m = unique("ghost")
    assert_error(api.push(m, "1.0.0", {"a.proto": proto("ghost", "message A {}")}), 404, "NOT_FOUND")
    assert_error(api.get(f"/modules/{m}"), 404, "NOT_FOUND")


def test_created_at_is_rfc3339_and_versions_are_immutable_in_listing(api):
    m = api.new_module("imm")
    s = api.push_ok(m, "1.0.0", {"a.proto": proto("imm", "message A {}")})
    assert RFC3339_MS.match(s["created_at"])
    api.push_ok(m, "1.0.1", {"a.proto": proto("imm", "message A { int32 x = 1; }")})
    listed = {v["version"]: v for v in api.versions(m)}
    assert listed["1.0.0"] == {k: v for k, v in s.items() if k != "warnings"}
