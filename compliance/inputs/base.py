"""What every loader gets and gives, and the protocols a loader implements.

A ``FileLoader`` claims files by name and loads them (the registry asks its list in
order); a ``DocumentLoader`` claims a YAML/JSON document by its content. Both answer, for
the resources of their formats, which other files a load read (``dependencies``: the result
cache checks them) and which values redaction must mask (``secret_values``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, get_args

from compliance.model import LoadError, Resource, Source
from compliance.model.construct import trusted
from compliance.model.notes import BuildNotice, Skipped
from compliance.model.report import InputRef
from compliance.model.resource import Format

if TYPE_CHECKING:
    from compliance.inputs.yamlutil import Document

MAX_FILE_BYTES = 10 * 1024 * 1024
FORMATS = frozenset(get_args(Format))
"""The values of ``Source.format``."""


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
        """The resource of this file. Built without pydantic's validation when every field
        has its type already: the same fields, and shallow copies of the dicts as validation
        makes (``lines``, built by the loaders from line marks, tens of thousands of entries
        a file, is not checked entry by entry). Otherwise validated: a loader's bad value
        raises."""
        facts, lines = facts or {}, lines or {}
        if (
            type(id) is str
            and type(kind) is str
            and type(name) is str
            and (namespace is None or type(namespace) is str)
            and type(line) is int
            and (end_line is None or type(end_line) is int)
            and format in FORMATS
            and type(body) is dict
            and type(facts) is dict
            and type(lines) is dict
            and all(type(key) is str for key in body)
            and all(type(key) is str for key in facts)
        ):
            source = {"file": self.rel, "line": line, "end_line": end_line, "format": format}
            return trusted(
                Resource,
                {
                    "id": id,
                    "kind": kind,
                    "name": name,
                    "namespace": namespace,
                    "source": trusted(Source, source),
                    "body": dict(body),
                    "facts": dict(facts),
                    "lines": dict(lines),
                },
            )
        return Resource(
            id=id,
            kind=kind,
            name=name,
            namespace=namespace,
            source=Source(file=self.rel, line=line, end_line=end_line, format=format),
            body=body,
            facts=facts,
            lines=lines,
        )


@dataclass
class LoadResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    inputs: list[InputRef] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    """Files under a scanned folder that hold nothing we evaluate, with the reason."""
    notices: list[BuildNotice] = field(default_factory=list)
    """Folders whose faithful evaluation needs a build step (kustomize, Helm)."""
    seen: dict[str, int] = field(default_factory=dict)
    """Per path given, how many files were seen under it."""
    texts: dict[str, str] = field(default_factory=dict)
    """rel path -> text as read, for evidence bundles (redacted there)."""


@dataclass
class LoadedFiles(LoadResult):
    """A LoadResult that also carries, per input file, the secret values found in its
    resources: collected where they were parsed (worker processes, or the file cache), so
    that scrubbing a report never walks every resource again in the main process."""

    secrets: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class FileLoad:
    """What a loader made of one file."""

    format: str | None = None
    """The input record's format (``k8s``, ``k8s+securityconfig``, ...); None when the
    file holds nothing recognised (no input record)."""
    resources: list[Resource] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    """Errors of parts of the file (a document); an error of the whole file is raised as
    an InputError instead."""
    skipped: list[Skipped] = field(default_factory=list)


class Loader(Protocol):
    """What every loader answers for the resources of its formats."""

    @property
    def formats(self) -> Mapping[str, str]:
        """Format of the resources it makes -> what it reads (``registry.FORMATS``)."""
        ...

    def dependencies(self, resource: Resource) -> Iterable[str]:
        """Files the load of ``resource`` read besides its input, as written (relative to
        the input's folder): a change to one changes the load."""
        ...

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        """Add the values of ``resource`` that its format makes secret (a Secret's data, a
        sensitive variable's default); values under secret-looking names anywhere in a
        body are found by ``compliance.secrets.collect.walk`` for every format."""
        ...


class FileLoader(Loader, Protocol):
    """A loader of whole files, claimed by name (a folder is listed without reading it)."""

    @property
    def kind(self) -> str:
        """What a claimed file is loaded as (and the result cache keys it under)."""
        ...

    def claims(self, name: str) -> bool:
        """Whether a file of this name (no folder) is this loader's."""
        ...

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        """The file's resources. ``explicit``: named by the user (not found in a folder), so
        that holding nothing recognised is an error rather than a skip. Raises InputError
        for an error of the whole file."""
        ...


class DocumentLoader(Loader, Protocol):
    """A loader of YAML/JSON documents, claimed by their content."""

    @property
    def format(self) -> str:
        """The input format a file holding a document it claims is recorded under."""
        ...

    def claims_document(self, value: Any) -> bool:
        """Whether a parsed document is this loader's."""
        ...

    def load_document(self, doc: Document, ctx: FileContext) -> list[Resource]:
        """The document's resources. Raises InputError."""
        ...
