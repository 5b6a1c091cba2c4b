"""The loading fast paths give what the straightforward code gave: each is compared with a
reference implementation kept here, on the shared corpus, the examples and tricky cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.inputs import k8s, yamlutil
from compliance.inputs.base import FileContext, LoadOptions
from compliance.inputs.yamlutil import Document, YamlError, load_documents
from tests.shared import corpus_projects

ROOT = Path(__file__).resolve().parents[3]


def _yaml_files(*roots: Path) -> list[Path]:
    return sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml") and p.is_file()
    )


YAML_FILES = _yaml_files(ROOT / "examples", ROOT / "tests" / "fixtures")


def _documents_or_none(path: Path) -> list[Document] | None:
    try:
        return load_documents(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - invalid fixtures are compared elsewhere
        return None


# ---------------------------------------------------------------- memoised scalar resolution

TRICKY_YAML = [
    "a: yes\nb: 'yes'\nc: \"yes\"\nd: Yes\ne: YES\nf: yEs\ng: no\nh: on\ni: off\nj: On\nk: OFF\n",
    "a: true\nb: 'true'\nc: True\nd: TRUE\ne: tRue\nf: y\ng: n\nh: ~\ni: null\nj: Null\nk: NULL\nl:\n",
    "a: 0o17\nb: 017\nc: 0x1F\nd: 0b101\ne: 1_000\nf: 190:20:30\ng: -0x1a\nh: +12\ni: '017'\nj: 08\n",
    "a: 1.5\nb: .inf\nc: -.Inf\nd: .NaN\ne: 1e3\nf: 1.0e+3\ng: 190:20:30.15\nh: .5\ni: '1.5'\nj: 1.\n",
    "a: 2024-01-01\nb: 2024-01-01T10:00:00Z\nc: 2001-12-14 21:59:43.10 -5\nd: '2024-01-01'\n",
    "- yes\n- 'yes'\n- ! yes\n- !!str yes\n- !!bool 'yes'\n- !!int '12'\n- !!float '1'\n- 12\n",
    "base: &b {x: 1, y: yes}\nd:\n  <<: *b\n  y: no\nl: [*b, *b]\nm:\n  <<: [*b, {z: ~}]\n",
    "1: a\ntrue: b\n1.5: d\n2024-01-01: e\n0x1F: f\n",
    "b: '='\nc: '-'\nd: ''\ne: ' '\nf: 0\ng: -0\nh: +.inf\n",
    "---\na: yes\n---\n- no\n- [on, off, {k: ~}]\n...\n---\n# nothing\n",
    "a: |\n  yes\nb: >\n  12\nc: plain\n  continued\n",
    '{"a": "yes", "b": yes, "c": [1, "1", 1.0, null]}',
    "a: " + "9" * 19 + "\nb: '" + "9" * 200 + "'\nc: -9223372036854775808\n",
]
TRICKY_ERRORS = [
    "a: =\n",
    "~: a\n",
    "a: 1\nb:\n  c: 1\n  c: 2\n",
    "x: !!python/object/apply:os.system ['true']\n",
    "x: !!binary aGVsbG8=\n",
    "a: [1, 2\nb: 3\n",
    "'<<': 1\nx: <<\ny: '<<'\n",
]


def _outcome(text: str) -> str:
    """Every document field (``repr``: ``True`` and ``1`` differ) or the error."""
    try:
        return repr(load_documents(text))
    except YamlError as e:
        return f"YamlError({e.message!r}, {e.line})"


def _reference_outcome(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as m:
        m.setattr(yamlutil, "_Loader", yaml.CSafeLoader)
        return _outcome(text)


def test_loader_has_no_path_resolvers() -> None:
    assert not yamlutil._Loader.yaml_path_resolvers


@pytest.mark.parametrize("text", TRICKY_YAML + TRICKY_ERRORS)
def test_memoised_resolution_matches_plain_loader(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _reference_outcome(text, monkeypatch)
    assert _outcome(text) == expected  # fills the memo
    assert _outcome(text) == expected  # reads it


def test_quoted_and_plain_same_text_do_not_share_a_tag() -> None:
    for text in ("a: 'yes'\nb: yes\n", "a: yes\nb: 'yes'\n", "a: '12'\nb: 12\n"):
        (doc,) = load_documents(text)
        assert [type(v) for v in doc.value.values()] in ([str, bool], [bool, str], [str, int])


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    memo: dict[str, str] = {}
    monkeypatch.setattr(yamlutil, "_PLAIN_TAGS", memo)
    monkeypatch.setattr(yamlutil, "PLAIN_TAGS_SIZE", 3)
    long = "x" * (yamlutil.PLAIN_TAG_VALUE_LEN + 1)
    (doc,) = load_documents(f"{long}: 1\nb: yes\nc: 2\nd: 3\ne: 4\n")
    assert doc.value == {long: 1, "b": True, "c": 2, "d": 3, "e": 4}
    assert long not in memo
    assert len(memo) == 3


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_memoised_resolution_matches_plain_loader_on_corpus(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_text(encoding="utf-8")
    expected = _reference_outcome(text, monkeypatch)
    assert _outcome(text) == expected
    assert _outcome(text) == expected


def test_memoised_resolution_matches_plain_loader_on_shared_corpus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = _yaml_files(*corpus_projects())
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        expected = _reference_outcome(text, monkeypatch)
        assert _outcome(text) == expected, path
        assert _outcome(text) == expected, path


# ---------------------------------------------------------------- construction


def _reference_pairs(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    own = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for src in sources:
                merged.extend(_reference_pairs(src))
        else:
            own.append((key_node, value_node))
    own_keys = {k.value for k, _ in own}
    seen: set[str] = set()
    first = []
    for k, v in merged:
        if k.value not in own_keys and k.value not in seen:
            seen.add(k.value)
            first.append((k, v))
    return first + own


def _reference_build(node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    """The former construction (values and lines; the limits are tested elsewhere)."""
    if isinstance(node, yaml.ScalarNode):
        return yamlutil._scalar_value(node)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in _reference_pairs(node):
            key = yamlutil._scalar_value(key_node)
            key = key if isinstance(key, str) else str(key)
            child = f"{path}.{key}" if path else key
            lines[child] = key_node.start_mark.line + 1
            out[key] = _reference_build(value_node, child, lines)
        return out
    items = []
    for i, item in enumerate(node.value):
        child = f"{path}[{i}]"
        lines[child] = item.start_mark.line + 1
        items.append(_reference_build(item, child, lines))
    return items


def _reference_documents(text: str) -> str:
    docs = []
    for node in yaml.compose_all(text, Loader=yaml.CSafeLoader):
        lines: dict[str, int] = {}
        value = _reference_build(node, "", lines) if node is not None else None
        if value is not None:
            end = yamlutil._end_line(node)
            docs.append(Document(value, node.start_mark.line + 1, end, lines, _null_value(value)))
    return repr(docs)


def _null_value(value: Any) -> bool:
    """Whether some mapping in ``value`` maps a key to null."""
    if isinstance(value, dict):
        return any(v is None or _null_value(v) for v in value.values())
    if isinstance(value, list):
        return any(_null_value(v) for v in value)
    return False


MERGES = [
    "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
    "base: &b {x: 1}\nd:\n  !!merge <<: *b\n  y: 3\n",
    "base: &b {x: 1}\nd:\n  ? !!merge m\n  : *b\n  y: 3\n",
    "base: &b {x: 1}\nd:\n  ? !<tag:yaml.org,2002:merge> m\n  : *b\n",
    "%TAG !y! tag:yaml.org,2002:\n---\nbase: &b {x: 1}\nd: {!y!merge m: *b, z: 2}\n",
    "a: &a {p: 1}\nb: &b {q: 2, p: 0}\nc: {<<: [*a, *b], r: 3}\nd: {<<: {}}\n",
    "a: {'<<': 1, b: 2}\nc: \"<<\"\n",
    "- [a, {b: [c, {d: e}]}]\n- {f: [[g]]}\n",
    "a.b: 1\na: {b: 2}\n'[0]': x\n",
]


@pytest.mark.parametrize("text", MERGES + TRICKY_YAML)
def test_construction_matches_reference(text: str) -> None:
    assert _outcome(text) == _reference_documents(text)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_construction_matches_reference_on_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        expected = _reference_documents(text)
    except (yaml.YAMLError, YamlError, AttributeError, TypeError):
        # TypeError: a mapping as a key (a Helm template's {{ ... }}) is unhashable there
        pytest.skip("not valid YAML for the reference (errors are compared above)")
    assert _outcome(text) == expected


def test_construction_matches_reference_on_shared_corpus() -> None:
    compared = 0
    for path in _yaml_files(*corpus_projects()):
        text = path.read_text(encoding="utf-8")
        try:
            expected = _reference_documents(text)
        except (yaml.YAMLError, YamlError, AttributeError):
            continue  # not valid YAML for the reference (errors are compared above)
        assert _outcome(text) == expected, path
        compared += 1
    assert compared


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
