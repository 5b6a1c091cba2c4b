"""The normalized model every loader produces (DESIGN.md section 3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance.model.construct import trusted
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


class Resource(BaseModel):
    """One evaluable object: a Kubernetes object, a Dockerfile, a compose service, ...

    ``body`` is the document as written; ``facts`` are values computed in Python that Rego
    should not have to compute. ``lines`` maps dotted field paths
    (``spec.template.spec.containers[0].image``) to 1-based lines; it stays in Python and is
    never sent to the engine.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    name: str
    namespace: str | None = None
    source: Source
    body: dict[str, Any]
    facts: dict[str, Any] = Field(default_factory=dict)
    lines: dict[str, int] = Field(default_factory=dict, exclude=True)

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

    def engine_input(self) -> dict[str, Any]:
        """What the Rego checks see of this resource."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "format": self.source.format,
            "file": self.source.file,
            "body": self.body,
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


class LoadError(BaseModel):
    """An input that could not be (fully) loaded. Reported, never fatal to the run."""

    # defer_build: schema built on first use (a run without errors builds none)
    model_config = ConfigDict(frozen=True, defer_build=True)

    file: str
    line: int | None = None
    message: str
