"""GET .../descriptor?source_info=true: the well-known types carry source_code_info too, exactly as
protoc --include_source_info gives it (they used to come without it)."""

import shutil
import subprocess

from harness.descriptor_wire import fields, parse_file_descriptor_set
from harness.spoke_api import proto

PROTOC = shutil.which("protoc") or "/usr/bin/protoc"
IMPORTS = ["google/protobuf/timestamp.proto", "google/protobuf/struct.proto"]


def files_by_name(descriptor_set):
    """{file name: {field number: raw bytes}} of each FileDescriptorProto (last value wins)."""
    out = {}
    for _num, _wt, raw in fields(descriptor_set):
        parts = {n: v for n, _w, v in fields(raw)}
        out[parts[1].decode()] = parts
    return out


def test_well_known_types_have_the_source_info_protoc_gives(api, tmp_path):
    module = api.new_module("wkt")
    files = {"wkt/event.proto": proto("wkt", """
message Event {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Struct payload = 2;
}""", IMPORTS)}
    api.push_ok(module, "1.0.0", files)
    r = api.get(f"/modules/{module}/versions/1.0.0/descriptor", params={"source_info": "true"})
    assert r.status_code == 200, r.text
    parsed = parse_file_descriptor_set(r.content)
    assert [f["name"] for f in parsed] == IMPORTS + ["wkt/event.proto"]
    assert all(f["has_source_code_info"] for f in parsed), [f["name"] for f in parsed
                                                            if not f["has_source_code_info"]]

    (tmp_path / "wkt").mkdir()
    (tmp_path / "wkt/event.proto").write_text(files["wkt/event.proto"])
    out = tmp_path / "protoc.bin"
    subprocess.run([PROTOC, f"-I{tmp_path}", "--include_imports", "--include_source_info",
                    f"--descriptor_set_out={out}", "wkt/event.proto"], check=True, capture_output=True)
    ours, theirs = files_by_name(r.content), files_by_name(out.read_bytes())
    for name in IMPORTS + ["wkt/event.proto"]:
        assert ours[name].get(9), f"{name} has no source_code_info"
        assert ours[name][9] == theirs[name][9], f"{name}: source_code_info differs from protoc's"

    # Without source info the set is unchanged: no source_code_info anywhere.
    plain = api.get(f"/modules/{module}/versions/1.0.0/descriptor")
    assert plain.status_code == 200
    assert not any(f["has_source_code_info"] for f in parse_file_descriptor_set(plain.content))
