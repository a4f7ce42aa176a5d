"""Dependency graph reads: direct and transitive dependencies (dependency-first), and dependents."""

import pytest

from harness.spoke_api import assert_error, assert_json, proto


@pytest.fixture
def graph(api):
    """a <- b <- c, and d depends on both b and a (diamond); e depends on a@1.1.0."""
    a, b, c, d, e = (api.new_module(p) for p in ["ga", "gb", "gc", "gd", "ge"])
    api.push_ok(a, "1.0.0", {"a/a.proto": proto("a", "message A {}")})
    api.push_ok(a, "1.1.0", {"a/a.proto": proto("a", "message A { int32 x = 1; }")})
    api.push_ok(b, "1.0.0", {"b/b.proto": proto("b", "message B { a.A a = 1; }", ["a/a.proto"])},
                dependencies=[f"{a}@1.0.0"])
    api.push_ok(c, "1.0.0", {"c/c.proto": proto("c", "message C { b.B b = 1; }", ["b/b.proto"])},
                dependencies=[f"{b}@1.0.0"])
    api.push_ok(d, "2.0.0", {"d/d.proto": proto("d", "message D { b.B b = 1; a.A a = 2; }",
                                                  ["b/b.proto", "a/a.proto"])},
                dependencies=[f"{b}@1.0.0", f"{a}@1.0.0"])
    api.push_ok(e, "0.1.0", {"e/e.proto": proto("e", "message E { a.A a = 1; }", ["a/a.proto"])},
                dependencies=[f"{a}@1.1.0"])
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def deps(api, module, version, transitive=None):
    params = {"transitive": transitive} if transitive is not None else None
    r = api.get(f"/modules/{module}/versions/{version}/dependencies", params=params)
    assert r.status_code == 200, r.text
    return assert_json(r)


def test_direct_dependencies(api, graph):
    g = graph
    body = deps(api, g["c"], "1.0.0")
    assert body == {"module": g["c"], "version": "1.0.0",
                    "dependencies": [{"module": g["b"], "version": "1.0.0", "type": "direct"}]}
    assert deps(api, g["c"], "1.0.0", "false") == body


def test_no_dependencies_is_empty_list(api, graph):
    assert deps(api, graph["a"], "1.0.0", "true") == {"module": graph["a"], "version": "1.0.0", "dependencies": []}


def test_transitive_dependencies_dependency_first(api, graph):
    g = graph
    body = deps(api, g["c"], "1.0.0", "true")
    assert body == {"module": g["c"], "version": "1.0.0", "dependencies": [
        {"module": g["a"], "version": "1.0.0", "type": "transitive"},
        {"module": g["b"], "version": "1.0.0", "type": "direct"},
    ]}


def test_transitive_diamond_lists_each_once_and_direct_wins(api, graph):
    g = graph
    body = deps(api, g["d"], "2.0.0", "true")
    assert body["dependencies"] == [
        {"module": g["a"], "version": "1.0.0", "type": "direct"},
        {"module": g["b"], "version": "1.0.0", "type": "direct"},
    ]


def test_dependencies_via_latest_alias(api, graph):
    body = deps(api, graph["c"], "latest", "true")
    assert body["version"] == "1.0.0"
    assert [d["module"] for d in body["dependencies"]] == [graph["a"], graph["b"]]


def test_dependents(api, graph):
    g = graph
    r = api.get(f"/modules/{g['a']}/versions/1.0.0/dependents")
    assert r.status_code == 200
    expected = sorted([{"module": g["b"], "version": "1.0.0"}, {"module": g["d"], "version": "2.0.0"}],
                      key=lambda x: x["module"])
    assert assert_json(r) == {"module": g["a"], "version": "1.0.0", "dependents": expected}

    r = api.get(f"/modules/{g['a']}/versions/1.1.0/dependents")
    assert r.json()["dependents"] == [{"module": g["e"], "version": "0.1.0"}]
    r = api.get(f"/modules/{g['c']}/versions/1.0.0/dependents")
    assert r.json()["dependents"] == []


@pytest.mark.parametrize("suffix", ["dependencies", "dependencies?transitive=true", "dependents"])
def test_graph_reads_of_missing_versions_are_404(api, graph, suffix):
    assert_error(api.get(f"/modules/{graph['a']}/versions/9.0.0/{suffix}"), 404, "NOT_FOUND")
    assert_error(api.get(f"/modules/no-such-graph-module/versions/1.0.0/{suffix}"), 404, "NOT_FOUND")
