"""What every loader gets and gives."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.model import LoadError, Resource, Source
from compliance.model.report import InputRef

MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class LoadOptions:
    sets: tuple[str, ...] = ()
    """``--set dotted.path=value`` overrides for SecurityConfig files, in order given."""
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    """Environment consulted for ``BPI__...`` overrides."""
    max_file_bytes: int = MAX_FILE_BYTES
    root: Path | None = None
    """Where files a SecurityConfig names must lie (the server's upload folder); by default
    the folder the user gave, or for a file given by name the working directory when it
    lies there, else the file's folder."""


@dataclass(frozen=True)
class FileContext:
    """One input file: ``rel`` is what reports show, ``path`` what we read."""

    path: Path
    rel: str
    options: LoadOptions
    root: Path | None = None
    """The scanned root (resolved): files the input names are read only from inside it.
    None: the input's own folder."""

    def confined(self, name: str) -> Path | None:
        """``name`` (relative to this file's folder) resolved, if it lies inside the root."""
        path = Path(name)
        if not path.is_absolute():
            path = self.path.parent / path
        root = self.root or self.path.parent.resolve()
        resolved = Path(os.path.realpath(path))
        return resolved if resolved.is_relative_to(root) else None

    def resource(
        self,
        *,
        id: str,
        kind: str,
        name: str,
        format: str,
        line: int,
        body: dict[str, Any],
        namespace: str | None = None,
        end_line: int | None = None,
        facts: dict[str, Any] | None = None,
        lines: dict[str, int] | None = None,
    ) -> Resource:
        return Resource(
            id=id,
            kind=kind,
            name=name,
            namespace=namespace,
            source=Source(file=self.rel, line=line, end_line=end_line, format=format),
            body=body,
            facts=facts or {},
            lines=lines or {},
        )


@dataclass
class LoadResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    inputs: list[InputRef] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    """Files under a scanned folder that hold nothing we evaluate, with the reason."""
    notices: list[dict[str, str]] = field(default_factory=list)
    """Folders whose faithful evaluation needs a build step (kustomize, Helm): ``folder``,
    ``command`` and ``message``."""
    seen: dict[str, int] = field(default_factory=dict)
    """Per path given, how many files were seen under it."""
    texts: dict[str, str] = field(default_factory=dict)
    """rel path -> text as read, for evidence bundles (redacted there)."""
