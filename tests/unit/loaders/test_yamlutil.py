from __future__ import annotations

import time

import pytest

from compliance.inputs import yamlutil
from compliance.inputs.yamlutil import YamlError, load_documents


def test_multi_document_lines(fixtures):
    docs = load_documents((fixtures / "k8s-multi.yaml").read_text())
    assert [(d.line, d.value["kind"]) for d in docs] == [(1, "Namespace"), (8, "List")]
    lst = docs[1]
    assert lst.lines["items[0]"] == 11
    assert lst.lines["items[1].spec.template.spec.containers[0].image"] == 28
    assert lst.lines["items[0].data.k"] == 17


def test_empty_documents_are_dropped():
    assert [d.value for d in load_documents("---\n# nothing\n---\nx: 1\n---\n")] == [{"x": 1}]
    assert load_documents("") == []


def test_scalars_and_timestamps():
    (doc,) = load_documents("a: 2024-01-01\nb: 'x'\nc: 1.5\nd: null\ne: yes\n")
    assert doc.value == {"a": "2024-01-01", "b": "x", "c": 1.5, "d": None, "e": True}


def test_non_string_keys_become_strings():
    (doc,) = load_documents("1: a\ntrue: b\n")
    assert doc.value == {"1": "a", "True": "b"}


def test_merge_keys():
    (doc,) = load_documents("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n")
    assert doc.value["d"] == {"x": 1, "y": 3}


def test_duplicate_key_with_line():
    with pytest.raises(YamlError) as e:
        load_documents("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert e.value.message == "duplicate key 'c'"
    assert e.value.line == 4


def test_malformed_yaml_with_line():
    with pytest.raises(YamlError) as e:
        load_documents("a: 1\nb: [1, 2\nc: 3\n")
    assert e.value.message.startswith("invalid YAML")
    assert e.value.line == 3


def test_python_tags_are_refused():
    with pytest.raises(YamlError, match="unsupported tag"):
        load_documents("x: !!python/object/apply:os.system ['true']\n")


def test_binary_scalars_are_refused():
    with pytest.raises(YamlError, match="binary scalars"):
        load_documents("x: !!binary aGVsbG8=\n")


def _bomb(levels: int = 9) -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for i in range(1, levels + 1):
        name = chr(ord("a") + i)
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def test_alias_bomb_fails_fast():
    start = time.monotonic()
    with pytest.raises(YamlError, match="alias bomb") as e:
        load_documents(_bomb())
    assert e.value.line == 1
    assert time.monotonic() - start < 5  # generous: it takes milliseconds


def test_alias_budget_is_per_file(monkeypatch):
    monkeypatch.setattr(yamlutil, "MAX_NODES", 50)
    doc = "x: [" + ",".join(["1"] * 30) + "]\n"
    assert len(load_documents(doc)) == 1
    with pytest.raises(YamlError, match="more than 50 nodes"):
        load_documents(doc + "---\n" + doc)


def test_small_aliases_are_fine():
    (doc,) = load_documents("a: &a {k: v}\nb: *a\nc: *a\n")
    assert doc.value == {"a": {"k": "v"}, "b": {"k": "v"}, "c": {"k": "v"}}


def test_nesting_depth():
    with pytest.raises(YamlError, match="nest"):
        load_documents("[" * 200 + "]" * 200)
    with pytest.raises(YamlError, match="nest"):
        load_documents("[" * 100_000 + "]" * 100_000)


def test_recursive_alias_is_refused():
    with pytest.raises(YamlError):
        load_documents("a: &a [*a]\n")
