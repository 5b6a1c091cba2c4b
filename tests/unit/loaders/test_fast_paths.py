"""The loading fast paths give what the straightforward code gave: each is compared with a
reference implementation kept here, on the shared corpus, the examples and tricky cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compliance.loaders import k8s
from compliance.loaders.base import FileContext, LoadOptions
from compliance.loaders.yamlutil import Document, load_documents

ROOT = Path(__file__).resolve().parents[3]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def _yaml_files() -> list[Path]:
    roots = [SHARED_CORPUS, ROOT / "examples", ROOT / "tests" / "fixtures"]
    return sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml") and p.is_file()
    )


YAML_FILES = _yaml_files()


def _documents_or_none(path: Path) -> list[Document] | None:
    try:
        return load_documents(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - invalid fixtures are compared elsewhere
        return None


# ---------------------------------------------------------------- Kubernetes List items


def _reference_item_lines(lines: dict[str, int], i: int) -> dict[str, int]:
    """The former per-item filter over every line of the List."""
    prefix = f"items[{i}]"
    return {k[len(prefix) + 1 :]: v for k, v in lines.items() if k.startswith(prefix + ".")}


def _list_resources(doc: Document) -> list[Any]:
    ctx = FileContext(Path("list.yaml"), "list.yaml", LoadOptions())
    return k8s.load_document(doc, ctx)


def _assert_items_match_reference(doc: Document) -> None:
    resources = _list_resources(doc)
    assert len(resources) == len(doc.value["items"])
    for i, resource in enumerate(resources):
        assert resource.lines == _reference_item_lines(doc.lines, i)
        assert list(resource.lines) == list(_reference_item_lines(doc.lines, i))
        assert resource.source.line == doc.lines.get(f"items[{i}]", doc.line)


def test_list_items_one_and_ten_keep_their_own_lines() -> None:
    items = "".join(
        f"  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cm{i}\n"
        f"    data:\n      k{i}: v\n"
        for i in range(12)
    )
    (doc,) = load_documents(f"apiVersion: v1\nkind: List\nitems:\n{items}")
    _assert_items_match_reference(doc)
    resources = _list_resources(doc)
    assert set(resources[1].lines) == {
        "apiVersion",
        "kind",
        "metadata",
        "metadata.name",
        "data",
        "data.k1",
    }
    assert "data.k10" in resources[10].lines and "data.k10" not in resources[1].lines


def test_list_lines_with_odd_keys_match_reference() -> None:
    doc = Document(
        value={"kind": "List", "items": [{"apiVersion": "v1", "kind": "A"}] * 3},
        line=1,
        end_line=9,
        lines={
            "items": 2,
            "items[0]": 3,
            "items[0].a": 4,
            "items[01].b": 5,
            "items[1]].c": 6,
            "items[1]": 7,
            "items[10].d": 8,
            "items[1].e[2].f": 9,
            "items[2]x.g": 10,
            "items[2].": 11,
            "items[x].h": 12,
            "itemsX[0].i": 13,
        },
    )
    for i in range(3):
        doc.value["items"][i] = {"apiVersion": "v1", "kind": "A", "metadata": {"name": f"n{i}"}}
    _assert_items_match_reference(doc)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_list_lines_on_corpus_match_reference(path: Path) -> None:
    for doc in _documents_or_none(path) or []:
        value = doc.value
        if (
            isinstance(value, dict)
            and str(value.get("kind", "")).endswith("List")
            and isinstance(value.get("items"), list)
            and all(isinstance(i, dict) and "apiVersion" in i for i in value["items"])
        ):
            _assert_items_match_reference(doc)
