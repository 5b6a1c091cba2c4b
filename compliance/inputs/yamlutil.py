"""YAML with line marks: PyYAML's C composer, our own construction.

Constructing from the node graph ourselves gives every mapping key and sequence item a
1-based line, and lets us bound alias expansion (billion laughs), nesting depth and
duplicate keys, which PyYAML's own constructor does not.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import yaml

from compliance.inputs.safety import int_problem

try:
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

MAX_NODES = 2_000_000
"""Nodes constructed per file, aliases expanded; far above any real manifest."""
MAX_DEPTH = 100

_intern = sys.intern
_scalar = yaml.constructor.SafeConstructor()
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_COLLECTION_TAGS = frozenset({_MAP, _SEQ})
_STR = "tag:yaml.org,2002:str"
_SCALAR_NODE = yaml.ScalarNode
_MAPPING_NODE = yaml.MappingNode
_SEQUENCE_NODE = yaml.SequenceNode

_PLAIN_TAGS: dict[str, str] = {}
"""Plain scalar -> resolved tag, for every file of the process (manifests repeat the same
keys and values: ~99% hits on the benchmark corpus)."""
PLAIN_TAGS_SIZE = 16_384
PLAIN_TAG_VALUE_LEN = 128
"""The memo's bounds: at most this many values, each at most this long (a few MB)."""


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader with scalar resolution memoised. The composer (in C with libyaml)
    calls ``resolve`` per node, in Python: the implicit resolvers' regexes were a quarter
    of composing. Without path resolvers (asserted below) a scalar's tag depends only on
    its value and whether it is plain."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is _SCALAR_NODE:
            if not implicit[0]:
                return _STR
            tag = _PLAIN_TAGS.get(value)
            if tag is not None:
                return tag
            tag = super().resolve(kind, value, implicit)
            if len(value) <= PLAIN_TAG_VALUE_LEN and len(_PLAIN_TAGS) < PLAIN_TAGS_SIZE:
                _PLAIN_TAGS[value] = tag
            return tag  # type: ignore[no-any-return]
        # a collection's tag, without path resolvers, is its kind's default
        if kind is _MAPPING_NODE:
            return _MAP
        if kind is _SEQUENCE_NODE:
            return _SEQ
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]


assert not _Loader.yaml_path_resolvers, "the resolve memo assumes no path resolvers"
assert _Loader.DEFAULT_MAPPING_TAG == _MAP and _Loader.DEFAULT_SEQUENCE_TAG == _SEQ
assert _Loader.DEFAULT_SCALAR_TAG == _STR

_INT = _scalar.yaml_constructors["tag:yaml.org,2002:int"]


def _engine_int(constructor: Any, node: yaml.ScalarNode) -> int:
    """An integer the policy engine can take (64-bit), else a YamlError at its line."""
    try:
        value: int = _INT(constructor, node)
    except ValueError as e:  # over Python's 4,300-digit conversion limit
        raise YamlError(
            f"integer of {len(node.value)} characters is too large to read",
            node.start_mark.line + 1,
        ) from e
    problem = int_problem(value)
    if problem:
        raise YamlError(problem, node.start_mark.line + 1)
    return value


def _as_written(constructor: Any, node: yaml.ScalarNode) -> str:
    return str(node.value)


_SCALAR_CONSTRUCTORS = {
    **{
        tag: _scalar.yaml_constructors[tag]
        for tag in (
            "tag:yaml.org,2002:null",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:float",
        )
    },
    "tag:yaml.org,2002:int": _engine_int,
    # YAML 1.1's ``=`` (value) and ``<<`` (merge, outside a key) as plain scalars: strings,
    # as Kubernetes reads them
    "tag:yaml.org,2002:value": _as_written,
    "tag:yaml.org,2002:merge": _as_written,
}


def _scalar_value(node: yaml.ScalarNode) -> Any:
    """A plain scalar without SafeConstructor's bookkeeping (str, int, float, bool, null);
    anything else (timestamps, binary, unknown tags) through the constructor."""
    tag = node.tag
    if tag == _STR:
        return node.value
    fast = _SCALAR_CONSTRUCTORS.get(tag)
    if fast is not None:
        return fast(_scalar, node)
    value = _scalar.construct_object(node)
    if isinstance(value, bytes):
        raise YamlError("binary scalars are not supported", node.start_mark.line + 1)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class YamlError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Document:
    value: Any
    line: int
    end_line: int
    lines: dict[str, int] = field(default_factory=dict)
    """Dotted path -> 1-based line, relative to the document root."""
    nulls: bool = False
    """Whether some mapping in it maps a key to null (``key:`` left empty, ``~``)."""


class _Builder:
    def __init__(self, *, may_merge: bool = True) -> None:
        self.budget = MAX_NODES
        self.may_merge = may_merge
        """False when the text holds neither ``<<`` nor a tag (``!``): no merge key then."""
        self.nulls = False
        """Whether a mapping built since it was last reset maps a key to null."""
        self._sizes: dict[int, int] = {}

    def check_size(self, node: yaml.Node) -> None:
        """Fail fast on alias bombs: the expanded size, counted once per distinct node."""
        self._sizes = {}
        if self._size(node, 0) > self.budget:
            raise YamlError(
                f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)",
                node.start_mark.line + 1,
            )

    def _size(self, node: yaml.Node, depth: int) -> int:
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += self._size(item, depth + 1)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += self._size(key_node, depth + 1) + self._size(value_node, depth + 1)
        self._sizes[id(node)] = total
        return total

    def build(self, node: yaml.Node, path: str, lines: dict[str, int], depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(
                f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)",
                node.start_mark.line + 1,
            )
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        cls = node.__class__
        if cls is _SCALAR_NODE:
            return _scalar_value(node)  # type: ignore[arg-type]  # checked by class
        if node.tag not in _COLLECTION_TAGS:
            raise YamlError(f"unsupported tag {node.tag!r}", node.start_mark.line + 1)
        if cls is _MAPPING_NODE:
            return self._mapping(node, path, lines, depth)  # type: ignore[arg-type]
        items = []
        for i, item in enumerate(node.value):
            child = _intern(f"{path}[{i}]")
            lines[child] = item.start_mark.line + 1
            items.append(self.build(item, child, lines, depth + 1))
        return items

    def _mapping(
        self, node: yaml.MappingNode, path: str, lines: dict[str, int], depth: int
    ) -> dict[str, Any]:
        """The hot loop of loading (one turn per key): string keys and string values taken
        as they are, the merge-key pass only where the text may hold one. Keys and paths
        are interned: the same object wherever a key or path repeats, so that pickling a
        batch of files' resources between processes writes each once."""
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        pairs = self._pairs(node) if self.may_merge else node.value
        for key_node, value_node in pairs:
            if key_node.__class__ is _SCALAR_NODE and key_node.tag == _STR:
                key = _intern(key_node.value)
            else:
                value = _scalar_value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if value is None or isinstance(value, (dict, list)):
                    raise YamlError("unsupported mapping key", key_node.start_mark.line + 1)
                key = _intern(str(value) if not isinstance(value, str) else value)
            if key in out:
                raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            child = _intern(prefix + key)
            lines[child] = key_node.start_mark.line + 1
            if value_node.__class__ is _SCALAR_NODE:
                self.budget -= 1
                if value_node.tag == _STR:
                    out[key] = value_node.value
                elif (scalar := _scalar_value(value_node)) is None:
                    out[key] = None
                    self.nulls = True
                else:
                    out[key] = scalar
            else:
                out[key] = self.build(value_node, child, lines, depth + 1)
        if self.budget < 0:
            raise YamlError(
                f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)",
                node.start_mark.line + 1,
            )
        return out

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """Mapping pairs with ``<<`` merge keys resolved (explicit keys win)."""
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise YamlError("merge key needs a mapping", src.start_mark.line + 1)
                    merged.extend(self._pairs(src))
            else:
                own.append((key_node, value_node))
        if not merged:
            return own
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        seen: set[str] = set()
        result = []
        for k, v in merged:
            if k.value not in own_keys and k.value not in seen:
                seen.add(k.value)
                result.append((k, v))
        return result + own


def load_documents(text: str) -> list[Document]:
    """Every non-empty document in ``text``. Raises YamlError with a 1-based line."""
    # one character first: found with memchr, where "<<" is a slower two-character search
    builder = _Builder(may_merge="!" in text or ("<" in text and "<<" in text))
    # Without an anchor (&) and an alias (*) no node is shared: the expanded size is the
    # node count, which the build budget bounds, so the alias-size pass can be skipped.
    may_alias = "&" in text and "*" in text
    docs: list[Document] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            if may_alias:
                builder.check_size(node)
            lines: dict[str, int] = {}
            builder.nulls = False
            value = builder.build(node, "", lines, 0)
            if value is None:
                continue
            docs.append(
                Document(value, node.start_mark.line + 1, _end_line(node), lines, builder.nulls)
            )
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or str(e)
        raise YamlError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from e
    except yaml.YAMLError as e:
        raise YamlError(f"invalid YAML: {e}") from e
    except RecursionError as e:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from e
    return docs


def _end_line(node: yaml.Node) -> int:
    mark = node.end_mark
    return mark.line + 1 if mark.column > 0 else max(mark.line, node.start_mark.line + 1)


def document_from_json(value: Any) -> Document:
    return Document(value, 1, 1, {}, nulls=True)  # not looked for: may hold some
