"""Single files of a version: JSON and raw representations, 404s, strong ETags and 304."""

import pytest

from harness.spoke_api import assert_error, assert_json, proto, sha256_hex

NESTED = "shop/orders/v1/orders.proto"
CONTENT = proto("shop.orders.v1", "// caf\u00e9 \u2603\nmessage Order { string id = 1; }")


@pytest.fixture
def version(api):
    m = api.new_module("files")
    api.push_ok(m, "1.0.0", {NESTED: CONTENT, "top.proto": proto("top", "message T {}")})
    return m


def test_file_as_json(api, version):
    r = api.get(f"/modules/{version}/versions/1.0.0/files/{NESTED}")
    assert r.status_code == 200
    assert assert_json(r) == {"path": NESTED, "content": CONTENT, "sha256": sha256_hex(CONTENT)}


@pytest.mark.parametrize("accept", ["text/plain", "application/octet-stream"])
def test_file_raw(api, version, accept):
    r = api.get(f"/modules/{version}/versions/1.0.0/files/{NESTED}", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.content == CONTENT.encode("utf-8")
    assert r.headers["Content-Type"].startswith(accept), r.headers["Content-Type"]


def test_file_via_v_prefix_and_latest(api, version):
    for v in ["v1.0.0", "latest"]:
        r = api.get(f"/modules/{version}/versions/{v}/files/top.proto")
        assert r.status_code == 200, (v, r.text)
        assert r.json()["path"] == "top.proto"


@pytest.mark.parametrize("path", ["missing.proto", "shop/orders/v1/other.proto", "shop/orders", "top"])
def test_missing_file_is_404(api, version, path):
    assert_error(api.get(f"/modules/{version}/versions/1.0.0/files/{path}"), 404, "NOT_FOUND")


def test_file_of_missing_version_or_module_is_404(api, version):
    assert_error(api.get(f"/modules/{version}/versions/2.0.0/files/top.proto"), 404, "NOT_FOUND")
    assert_error(api.get(f"/modules/no-such-module-x/versions/1.0.0/files/top.proto"), 404, "NOT_FOUND")


def _strong_etag(r):
    etag = r.headers.get("ETag")
    assert etag, f"no ETag on {r.url}"
    assert not etag.startswith("W/"), f"weak ETag {etag}"
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2, etag
    return etag


@pytest.mark.parametrize("accept", [None, "text/plain"])
def test_file_etag_and_if_none_match(api, version, accept):
    url = f"/modules/{version}/versions/1.0.0/files/{NESTED}"
    headers = {"Accept": accept} if accept else {}
    r = api.get(url, headers=headers)
    etag = _strong_etag(r)
    again = api.get(url, headers=headers)
    assert _strong_etag(again) == etag

    r304 = api.get(url, headers={**headers, "If-None-Match": etag})
    assert r304.status_code == 304
    assert r304.content == b""
    assert r304.headers.get("ETag") == etag

    listed = api.get(url, headers={**headers, "If-None-Match": f'"nope", {etag}'})
    assert listed.status_code == 304

    other = api.get(url, headers={**headers, "If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.content == r.content


def test_version_etag_and_if_none_match(api, version):
    url = f"/modules/{version}/versions/1.0.0"
    r = api.get(url)
    etag = _strong_etag(r)
    r304 = api.get(url, headers={"If-None-Match": etag})
    assert r304.status_code == 304
    assert r304.content == b""
    assert api.get(url, headers={"If-None-Match": '"x"'}).status_code == 200


def test_etag_differs_between_different_files(api, version):
    a = _strong_etag(api.get(f"/modules/{version}/versions/1.0.0/files/{NESTED}"))
    b = _strong_etag(api.get(f"/modules/{version}/versions/1.0.0/files/top.proto"))
    assert a != b


def test_percent_encoded_file_path(api, version):
    r = api.get(f"/modules/{version}/versions/1.0.0/files/shop%2Forders%2Fv1%2Forders.proto")
    # The file path is the decoded tail of the route: an encoded '/' names the same file.
    assert r.status_code == 200, r.text
    assert r.json()["path"] == NESTED
    r = api.get(f"/modules/{version}/versions/1.0.0/files/top%2Eproto")
    assert r.status_code == 200 and r.json()["path"] == "top.proto"
