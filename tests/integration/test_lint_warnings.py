"""POST /validate reports lint warnings (issue 4): never blocking, 200 with valid: true."""

from harness.spoke_api import assert_json, proto

WARNING_KEYS = {"rule", "file", "line", "column", "message"}


def lines(*text):
    """Line n of the result is the n-th argument, so expected lines read off the source."""
    return "\n".join(text) + "\n"


def validate_ok(api, files, dependencies=None):
    body = {"files": [{"path": p, "content": c} for p, c in files.items()]}
    if dependencies is not None:
        body["dependencies"] = dependencies
    r = api.post("/validate", json=body)
    assert r.status_code == 200, r.text
    body = assert_json(r)
    assert body["valid"] is True, body
    assert body["errors"] == [], body
    for w in body["warnings"]:
        assert set(w) == WARNING_KEYS, w
    return body["warnings"]


def positions(warnings, rule):
    """[(file, line, column)] of the warnings of one rule, in response order."""
    return [(w["file"], w["line"], w["column"]) for w in warnings if w["rule"] == rule]


def test_clean_schema_has_no_warnings(api):
    content = lines(
        'syntax = "proto3";',
        "package lint.v1;",
        'import "google/protobuf/timestamp.proto";',
        "message GoodMessage {",
        "  string field_name = 1;",
        "  map<string, int32> counts_by_name = 2;",
        "  google.protobuf.Timestamp created_at = 3;",
        "}",
        "enum Status {",
        "  STATUS_UNSPECIFIED = 0;",
        "  STATUS_ACTIVE = 1;",
        "}",
        "service GoodService {",
        "  rpc GetThing(GoodMessage) returns (GoodMessage);",
        "}",
    )
    assert validate_ok(api, {"lint/v1/good.proto": content}) == []


def test_every_naming_rule_with_positions(api):
    content = lines(
        'syntax = "proto3";',                                    # 1
        "package lint.v1;",                                      # 2
        "message bad_message {",                                 # 3
        "  string fieldName = 1;",                               # 4
        "  string good_name = 2;",                               # 5
        "}",                                                     # 6
        "enum color {",                                          # 7
        "  COLOR_UNSPECIFIED = 0;",                              # 8
        "  colorRed = 1;",                                       # 9
        "}",                                                     # 10
        "enum Size {",                                           # 11
        "  SIZE_UNKNOWN = 0;",                                   # 12
        "}",                                                     # 13
        "service bad_service {",                                 # 14
        "  rpc get_thing(bad_message) returns (bad_message);",   # 15
        "}",                                                     # 16
    )
    f = "lint/v1/names.proto"
    warnings = validate_ok(api, {f: content})
    assert positions(warnings, "MESSAGE_PASCAL_CASE") == [(f, 3, 9)], warnings
    assert positions(warnings, "FIELD_LOWER_SNAKE_CASE") == [(f, 4, 10)], warnings
    assert positions(warnings, "ENUM_PASCAL_CASE") == [(f, 7, 6)], warnings
    assert positions(warnings, "ENUM_VALUE_UPPER_SNAKE_CASE") == [(f, 9, 3)], warnings
    assert positions(warnings, "ENUM_ZERO_VALUE_SUFFIX") == [(f, 12, 3)], warnings
    assert positions(warnings, "SERVICE_PASCAL_CASE") == [(f, 14, 9)], warnings
    assert positions(warnings, "RPC_PASCAL_CASE") == [(f, 15, 7)], warnings
    assert len(warnings) == 7, warnings
    by_rule = {w["rule"]: w["message"] for w in warnings}
    assert '"BadMessage"' in by_rule["MESSAGE_PASCAL_CASE"], by_rule
    assert '"field_name"' in by_rule["FIELD_LOWER_SNAKE_CASE"], by_rule
    assert '"COLOR_RED"' in by_rule["ENUM_VALUE_UPPER_SNAKE_CASE"], by_rule
    assert '"SIZE_UNSPECIFIED"' in by_rule["ENUM_ZERO_VALUE_SUFFIX"], by_rule
    # Sorted by position within the file.
    assert [w["line"] for w in warnings] == sorted(w["line"] for w in warnings), warnings


def test_missing_package(api):
    content = lines("// a comment first", 'syntax = "proto3";', "message GoodMessage {}")
    warnings = validate_ok(api, {"nopkg.proto": content})
    assert positions(warnings, "PACKAGE_DEFINED") == [("nopkg.proto", 2, 1)], warnings
    assert len(warnings) == 1, warnings


def test_single_content_is_linted_as_schema_proto(api):
    r = api.post("/validate", json={"content": lines('syntax = "proto3";', "message m {}")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True
    assert {(w["rule"], w["file"]) for w in body["warnings"]} == {
        ("PACKAGE_DEFINED", "schema.proto"), ("MESSAGE_PASCAL_CASE", "schema.proto")}, body


def test_proto2_enum_first_value_and_extension_ranges(api):
    content = lines(
        'syntax = "proto2";',                       # 1
        "package lint.v1;",                         # 2
        "enum Level {",                             # 3
        "  LEVEL_LOW = 1;",                         # 4
        "  LEVEL_UNSPECIFIED = 0;",                 # 5
        "}",                                        # 6
        "message Whole {",                          # 7
        "  extensions 19000 to 19999;",             # 8
        "}",                                        # 9
        "message Spans {",                          # 10
        "  extensions 1000 to max;",                # 11
        "  reserved 100 to 200;",                   # 12
        "}",                                        # 13
    )
    f = "lint/v1/p2.proto"
    warnings = validate_ok(api, {f: content})
    assert positions(warnings, "ENUM_FIRST_VALUE_ZERO") == [(f, 4, 15)], warnings
    assert positions(warnings, "FIELD_NUMBER_RESERVED_RANGE") == [(f, 8, 14)], warnings
    assert len(warnings) == 2, warnings


def test_field_in_reserved_number_range_is_an_error_not_a_warning(api):
    r = api.post("/validate", json={"content": proto("lint.v1", "message M { int32 x = 19500; }")})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["valid"] is False
    assert body["warnings"] == []
    assert any("19000" in e["message"] for e in body["errors"]), body


def test_unused_import_reported_once(api):
    files = {
        "lint/v1/common.proto": proto("lint.v1", "message Common {}"),
        "lint/v1/user.proto": lines(
            'syntax = "proto3";',
            "package lint.v1;",
            'import "lint/v1/common.proto";',
            'import "google/protobuf/empty.proto";',
            "message User { Common c = 1; }",
        ),
    }
    warnings = validate_ok(api, files)
    assert positions(warnings, "IMPORT_USED") == [("lint/v1/user.proto", 4, 1)], warnings
    assert "google/protobuf/empty.proto" in warnings[0]["message"], warnings
    assert len(warnings) == 1, warnings


def test_dependencies_are_not_linted(api):
    base = api.new_module("lintdep")
    bad_dep = lines('syntax = "proto3";', "message bad_dep { int32 Bad = 1; }")
    api.push_ok(base, "1.0.0", {"dep/bad.proto": bad_dep})
    files = {"lint/v1/x.proto": proto("lint.v1", "message UsesDep { bad_dep d = 1; }",
                                      ["dep/bad.proto"])}
    assert validate_ok(api, files, [f"{base}@1.0.0"]) == []


def test_file_without_syntax_is_linted_as_proto2(api):
    # libprotobuf defaults to proto2, where an enum may start at a non-zero value.
    content = lines("package lint.v1;", "message bad_name {}", "enum Rank { RANK_FIRST = 1; }")
    f = "lint/v1/nosyntax.proto"
    warnings = validate_ok(api, {f: content})
    assert positions(warnings, "MESSAGE_PASCAL_CASE") == [(f, 2, 9)], warnings
    assert positions(warnings, "ENUM_FIRST_VALUE_ZERO") == [(f, 3, 26)], warnings
    assert len(warnings) == 2, warnings


def test_invalid_schema_still_422_without_warnings(api):
    content = lines('syntax = "proto3";', "message bad_name {", "  int32 x = ;", "}")
    r = api.post("/validate", json={"files": [{"path": "bad.proto", "content": content}]})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["valid"] is False
    assert body["errors"], body
    assert body["warnings"] == [], body


def test_push_returns_lint_warnings_without_blocking(api):
    m = api.new_module("lintpush")
    content = lines(
        'syntax = "proto3";',
        'import "google/protobuf/timestamp.proto";',
        "message bad_message {",
        "  string FieldName = 1;",
        "}",
    )
    r = api.push(m, "1.0.0", {"bad.proto": content})
    assert r.status_code == 201, r.text
    warnings = assert_json(r)["warnings"]
    for w in warnings:
        assert set(w) == WARNING_KEYS, w
    assert positions(warnings, "PACKAGE_DEFINED") == [("bad.proto", 1, 1)] or \
        [w["file"] for w in warnings if w["rule"] == "PACKAGE_DEFINED"] == ["bad.proto"]
    assert [w["line"] for w in warnings if w["rule"] == "MESSAGE_PASCAL_CASE"] == [3]
    assert [w["line"] for w in warnings if w["rule"] == "FIELD_LOWER_SNAKE_CASE"] == [4]
    assert [w["line"] for w in warnings if w["rule"] == "IMPORT_USED"] == [2]
    # Stored all the same, and an identical re-push reports the same warnings.
    assert api.get(f"/modules/{m}/versions/1.0.0").status_code == 200
    again = api.push(m, "1.0.0", {"bad.proto": content})
    assert again.status_code == 200, again.text
    assert assert_json(again)["warnings"] == warnings


def test_clean_push_has_an_empty_warning_list(api):
    m = api.new_module("lintpush")
    content = lines('syntax = "proto3";', "package lintpush.v1;", "message Good {", "  string name = 1;", "}")
    r = api.push(m, "1.0.0", {"good.proto": content})
    assert r.status_code == 201, r.text
    assert assert_json(r)["warnings"] == []
