"""GET .../descriptor: a binary FileDescriptorSet with every transitive import, dependency-first."""

import shutil
import subprocess

import pytest

from harness.descriptor_wire import parse_file_descriptor_set
from harness.spoke_api import assert_error, proto

PROTOC = shutil.which("protoc") or "/usr/bin/protoc"


@pytest.fixture
def schema(api):
    base, app = api.new_module("dbase"), api.new_module("dapp")
    api.push_ok(base, "1.0.0", {"common/money.proto": proto("common", "message Money { int64 units = 1; }")})
    files = {
        "app/orders.proto": proto("app", """
message Order {
  common.Money total = 1;
  google.protobuf.Timestamp at = 2;
  app.Item item = 3;
}""", ["common/money.proto", "google/protobuf/timestamp.proto", "app/item.proto"]),
        "app/item.proto": proto("app", "message Item { string sku = 1; }"),
    }
    api.push_ok(app, "1.0.0", files, dependencies=[f"{base}@1.0.0"])
    return app


def fetch(api, module, version="1.0.0", **params):
    r = api.get(f"/modules/{module}/versions/{version}/descriptor", params=params or None)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-protobuf"), r.headers["Content-Type"]
    return r


def test_descriptor_set_contains_all_transitive_files_dependency_first(api, schema):
    files = parse_file_descriptor_set(fetch(api, schema).content)
    names = [f["name"] for f in files]
    assert sorted(names) == sorted(["app/orders.proto", "app/item.proto", "common/money.proto",
                                    "google/protobuf/timestamp.proto"])
    position = {n: i for i, n in enumerate(names)}
    for f in files:
        for dep in f["dependency"]:
            assert position[dep] < position[f["name"]], f"{dep} must come before {f['name']}: {names}"
    by_name = {f["name"]: f for f in files}
    order = by_name["app/orders.proto"]
    assert order["package"] == "app"
    assert sorted(order["dependency"]) == ["app/item.proto", "common/money.proto",
                                           "google/protobuf/timestamp.proto"]
    msg = order["messages"][0]
    assert msg["name"] == "Order"
    assert [(f["name"], f["number"], f.get("type_name")) for f in msg["fields"]] == [
        ("total", 1, ".common.Money"), ("at", 2, ".google.protobuf.Timestamp"), ("item", 3, ".app.Item")]
    assert not any(f["has_source_code_info"] for f in files)


def test_descriptor_set_links_with_protoc(api, schema, tmp_path):
    data = fetch(api, schema).content
    (tmp_path / "set.bin").write_bytes(data)
    out = subprocess.run([PROTOC, f"--descriptor_set_in={tmp_path / 'set.bin'}",
                          f"--descriptor_set_out={tmp_path / 'out.bin'}", "--include_imports",
                          "app/orders.proto"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert len(parse_file_descriptor_set((tmp_path / "out.bin").read_bytes())) == 4


def test_descriptor_with_source_info(api, schema):
    files = parse_file_descriptor_set(fetch(api, schema, source_info="true").content)
    by_name = {f["name"]: f for f in files}
    assert by_name["app/orders.proto"]["has_source_code_info"]
    assert by_name["app/item.proto"]["has_source_code_info"]


def test_descriptor_is_stable_and_cacheable(api, schema):
    r1, r2 = fetch(api, schema), fetch(api, schema, version="latest")
    assert r1.content == r2.content
    etag = r1.headers.get("ETag")
    assert etag and not etag.startswith("W/")
    r304 = api.get(f"/modules/{schema}/versions/1.0.0/descriptor", headers={"If-None-Match": etag})
    assert r304.status_code == 304 and r304.content == b""


def test_descriptor_of_missing_version_is_404(api, schema):
    assert_error(api.get(f"/modules/{schema}/versions/3.0.0/descriptor"), 404, "NOT_FOUND")
