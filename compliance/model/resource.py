"""The normalized model every loader produces (DESIGN.md section 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from compliance.model.construct import holding, trusted
from compliance.paths import nearest_line

Format = Literal["k8s", "dockerfile", "compose", "terraform", "securityconfig"]


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    """Path relative to the root the user gave (``-`` for stdin)."""
    line: int
    """1-based line where the resource starts."""
    end_line: int | None = None
    format: Format


ResourceRow = tuple[
    str,
    str,
    str,
    str | None,
    str,
    int,
    int | None,
    str,
    dict[str, Any],
    dict[str, Any],
    dict[str, int],
]
"""``Resource.to_row()``: id, kind, name, namespace, file, line, end_line, format, body, facts, lines."""

PackedRow = tuple[
    str,
    str,
    str,
    str | None,
    str,
    int,
    int | None,
    str,
    bytes | memoryview | dict[str, Any],
    dict[str, Any],
    bytes | memoryview | dict[str, int],
    "Assessed | None",
]
"""``Resource.to_packed()``: a row whose ``body`` (where JSON holds it exactly) and
``lines`` may be JSON bytes, with what assessed the resource where it was loaded."""

Assessed = tuple[str, tuple[str, ...]]
"""The key of an ``Assessor`` (compliance.assess) and the checks it found assessing a
resource: what a load worker computed, kept with the resource for the same assessor."""

_LAZY = ("body", "lines")
"""The fields a packed resource keeps as JSON until they are read."""


class Resource(BaseModel):
    """One evaluable object: a Kubernetes object, a Dockerfile, a compose service, ...

    ``body`` is the document as written (a Kubernetes object without its fields left
    null: unset, as Kubernetes takes them); ``facts`` are values computed in Python that Rego
    should not have to compute. ``lines`` maps dotted field paths
    (``spec.template.spec.containers[0].image``) to 1-based lines; it stays in Python and is
    never sent to the engine.
    """

    model_config = ConfigDict(frozen=True)
    __slots__ = ("_encoded", "_assessed")
    """``_encoded``: field name -> the field's value as JSON bytes (``from_packed``). A field
    missing from ``__dict__`` is decoded from them when first read; ``body``'s bytes are
    also what the in-process engine is sent (``engine_input``). ``_assessed``: the
    ``Assessed`` computed where the resource was loaded (``assessed``)."""

    id: str
    kind: str
    name: str
    namespace: str | None = None
    source: Source
    body: dict[str, Any]
    facts: dict[str, Any] = Field(default_factory=dict)
    lines: dict[str, int] = Field(default_factory=dict, exclude=True)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            if name in _LAZY:
                encoded = _encoded_of(self)
                if encoded is not None and name in encoded:
                    return _decode(self, name, encoded[name])
            return super().__getattr__(name)

    def _decoded(self) -> Resource:
        """This resource with every field in ``__dict__`` (what pydantic's own methods read)."""
        encoded = _encoded_of(self)
        if encoded is not None:
            for name in encoded:
                if name not in self.__dict__:
                    getattr(self, name)
        return self

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> Any:
        return handler(self._decoded())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Resource):
            other._decoded()
        return super(Resource, self._decoded()).__eq__(other)

    def __repr_args__(self) -> Any:
        return super(Resource, self._decoded()).__repr_args__()

    def __iter__(self) -> Any:
        return super(Resource, self._decoded()).__iter__()

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        for slot in Resource.__slots__:
            value = _slot(self, slot)
            if value is not None:
                state[slot] = value
        encoded = _encoded_of(self)
        if encoded is not None:  # a memoryview (of a load's spool) is sent as its bytes
            state["_encoded"] = {k: bytes(v) for k, v in encoded.items()}
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        state = dict(state)
        kept = {slot: state.pop(slot, None) for slot in Resource.__slots__}
        super().__setstate__(state)
        for slot, value in kept.items():
            if value is not None:
                object.__setattr__(self, slot, value)

    def __copy__(self) -> Resource:
        out = super().__copy__()
        _carry(self, out)
        return out

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Resource:
        out = super().__deepcopy__(memo)
        _carry(self, out)
        return out

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Resource:
        out = super().model_copy(update=update, deep=deep)
        encoded = _encoded_of(out)
        if encoded is not None and update and not encoded.keys().isdisjoint(update):
            kept = {k: v for k, v in encoded.items() if k not in update}
            object.__setattr__(out, "_encoded", kept or None)
        if update and not _ASSESSED_FROM.isdisjoint(update):
            object.__setattr__(out, "_assessed", None)
        return out

    def assessed(self, key: str) -> tuple[str, ...] | None:
        """The checks that assessed this resource as the ``Assessor`` of ``key`` found
        where it was loaded (``to_packed``); None if it was not asked there."""
        assessed = _slot(self, "_assessed")
        return assessed[1] if assessed is not None and assessed[0] == key else None

    def line_for(self, path: str | None) -> int:
        """Line of ``path`` or of its nearest recorded ancestor; the resource line otherwise."""
        return nearest_line(self.lines, path) or self.source.line

    def to_row(self) -> ResourceRow:
        """Every field as a plain tuple: cheap to pickle between processes and to store."""
        src = self.source
        return (
            self.id,
            self.kind,
            self.name,
            self.namespace,
            src.file,
            src.line,
            src.end_line,
            src.format,
            self.body,
            self.facts,
            self.lines,
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Resource:
        """The inverse of ``to_row``, without validation: only for rows this program wrote
        (a loader worker, or a cache entry whose field types were checked)."""
        rid, kind, name, namespace, file, line, end_line, fmt, body, facts, lines = row
        source = trusted(Source, {"file": file, "line": line, "end_line": end_line, "format": fmt})
        return trusted(
            cls,
            {
                "id": rid,
                "kind": kind,
                "name": name,
                "namespace": namespace,
                "source": source,
                "body": body,
                "facts": facts,
                "lines": lines,
            },
        )

    def to_packed(self, assessed: Assessed | None = None, encode: bool = True) -> PackedRow:
        """``to_row`` with ``assessed`` and, with ``encode``, ``body`` and ``lines`` as JSON
        bytes: what a load worker sends (``from_packed`` keeps them so until read). A body
        JSON does not hold exactly (a tuple, a non-finite float: both become something
        else) stays a dict."""
        row = self.to_row()
        if not encode:
            return (*row, assessed)
        return (*row[:8], _packed_body(row[8], row[7]), row[9], orjson.dumps(row[10]), assessed)

    @classmethod
    def from_packed(cls, row: PackedRow) -> Resource:
        """The inverse of ``to_packed`` (unvalidated, like ``from_row``): a ``body`` or
        ``lines`` given as JSON stays so until read."""
        rid, kind, name, namespace, file, line, end_line, fmt, body, facts, lines, assessed = row
        source = trusted(Source, {"file": file, "line": line, "end_line": end_line, "format": fmt})
        values: dict[str, Any] = {
            "id": rid,
            "kind": kind,
            "name": name,
            "namespace": namespace,
            "source": source,
        }
        encoded: dict[str, bytes | memoryview] = {}
        if isinstance(body, bytes | memoryview):
            encoded["body"] = body
        else:
            values["body"] = body
        values["facts"] = facts  # every field in field order, as validation leaves them
        if isinstance(lines, bytes | memoryview):
            encoded["lines"] = lines
        else:
            values["lines"] = lines
        obj = holding(cls, values, set(cls.__pydantic_fields__))
        object.__setattr__(obj, "_encoded", encoded or None)
        object.__setattr__(obj, "_assessed", assessed)
        return obj

    def engine_input(self, fragments: bool = False) -> dict[str, Any]:
        """What the Rego checks see of this resource. With ``fragments``, a body still held
        as JSON is given as those bytes (``orjson.Fragment``: for an engine that encodes its
        input with orjson)."""
        body: Any = None
        if fragments:
            encoded = _encoded_of(self)
            if encoded is not None and "body" in encoded:
                body = orjson.Fragment(bytes(encoded["body"]))
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "format": self.source.format,
            "file": self.source.file,
            "body": self.body if body is None else body,
            "facts": self.facts,
        }

    def shapes_input(self) -> dict[str, Any]:
        """What SEC-03 sees of this resource: who it is and where it holds a credential
        shape (``facts.secret_shapes``), not its body."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "file": self.source.file,
            "facts": {"secret_shapes": self.facts["secret_shapes"]},
        }


def _packed_body(body: dict[str, Any], fmt: str) -> bytes | dict[str, Any]:
    """``body`` as JSON bytes where they decode to an equal body, else ``body``."""
    try:
        data = orjson.dumps(body)
    except orjson.JSONEncodeError:  # e.g. a lone surrogate: an error of its file already
        return body
    if fmt != "k8s":
        return data if orjson.loads(data) == body else body
    # a body parsed from YAML or JSON holds only JSON's types; a non-finite float encodes
    # as null. A large body is walked for one (its JSON is mostly long strings, longer to
    # search), a small one searched for null.
    if len(data) >= WALK_BYTES:
        return data if _finite(body) else body
    return data if b"null" not in data or orjson.loads(data) == body else body


WALK_BYTES = 16 * 1024
"""From this size of JSON, a body is walked for non-finite floats instead of searched."""


def _finite(value: Any) -> bool:
    """Whether ``value`` (JSON's types) holds no NaN or infinity."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        if kind is dict:
            extend(node.values())
        elif kind is list:
            extend(node)
        elif kind is float and node - node != 0.0:
            return False
    return True


_ASSESSED_FROM = frozenset({"kind", "body", "facts"})
"""The fields ``Assessed`` depends on."""


def _slot(resource: Resource, name: str) -> Any:
    try:
        return object.__getattribute__(resource, name)
    except AttributeError:  # built by validation or ``trusted``: not set
        return None


def _encoded_of(resource: Resource) -> dict[str, bytes | memoryview] | None:
    encoded: dict[str, bytes | memoryview] | None = _slot(resource, "_encoded")
    return encoded


def _decode(resource: Resource, name: str, data: bytes | memoryview) -> Any:
    """Field ``name`` decoded from ``data`` into the resource's ``__dict__``, which is replaced
    by one in field order (pydantic dumps fields in ``__dict__`` order)."""
    fields = resource.__dict__
    if name in fields:  # decoded by another thread meanwhile
        return fields[name]
    value = orjson.loads(data)
    fields = {**fields, name: value}
    ordered = {k: fields[k] for k in Resource.__pydantic_fields__ if k in fields}
    object.__setattr__(resource, "__dict__", ordered)
    return value


def _carry(source: Resource, copied: Resource) -> None:
    for slot in Resource.__slots__:
        value = _slot(source, slot)
        if value is not None:
            object.__setattr__(copied, slot, value)


class LoadError(BaseModel):
    """An input that could not be (fully) loaded. Reported, never fatal to the run."""

    # defer_build: schema built on first use (a run without errors builds none)
    model_config = ConfigDict(frozen=True, defer_build=True)

    file: str
    line: int | None = None
    message: str
