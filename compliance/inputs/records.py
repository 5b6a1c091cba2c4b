"""A file's load as the result cache records it, and the interface ``load_paths`` asks a
cache through (``compliance.incremental.cache.Cache`` implements it)."""

from __future__ import annotations

import os
from typing import Any, NamedTuple, Protocol

from compliance.inputs.base import LoadedFiles, LoadResult
from compliance.model import LoadError
from compliance.model.construct import trusted
from compliance.model.notes import Skipped
from compliance.model.report import InputRef


class FileCache(Protocol):
    """Per-file load results keyed by what was read (see compliance.incremental.cache).

    ``get_unchanged`` may answer from the file's ``os.stat`` alone (no read). What a
    cache keeps is written by its owner once results are known (``Cache.save``)."""

    def get_unchanged(
        self, rel: str, kind: str, explicit: bool, st: os.stat_result
    ) -> Recorded | None: ...

    def get_file(
        self, rel: str, kind: str, explicit: bool, data: bytes, st: os.stat_result | None = None
    ) -> Recorded | None: ...

    def put_file(
        self,
        rel: str,
        kind: str,
        explicit: bool,
        data: bytes,
        result: LoadResult,
        st: os.stat_result | None = None,
    ) -> None: ...


class Recorded(NamedTuple):
    """A file's load as a cache recorded it (``record_of``), answered without reading the
    file: no resources (the cache reads them only when an evaluation needs them). Merged
    straight from the record: a warm run has thousands, and a LoadResult each would cost
    more than everything else it does per file (a tuple: built in half the time of a
    frozen dataclass)."""

    record: dict[str, Any]
    rel: str
    sha256: str
    """The file's path and the SHA-256 of its bytes (its input record's)."""
    text: str | None = None
    """The file's text when it was read after all (its bytes compared): kept as a parsed
    file's text is."""

    def merge_into(self, out: LoadedFiles) -> None:
        record = self.record
        for i in record["inputs"]:  # written from checked InputRefs
            if type(i) is list:  # the file's own: [format, resources]
                values = {
                    "file": self.rel,
                    "format": i[0],
                    "sha256": self.sha256,
                    "resources": i[1],
                }
            else:
                values = dict(i)
            out.inputs.append(trusted(InputRef, values))
        if "errors" in record:
            out.errors.extend(LoadError.model_validate(e) for e in record["errors"])
        if "skipped" in record:
            out.skipped.extend(Skipped(s["file"], s["reason"]) for s in record["skipped"])
        if self.text is not None and record["inputs"]:
            out.texts[self.rel] = self.text
        # a file with no secret values needs no entry: its resources are not in ``out``
        # (an entry only tells input_secrets that they were walked)
        for rel, values in record.get("secrets", {}).items():
            out.secrets.setdefault(rel, set()).update(values)


def record_of(result: LoadedFiles, rel: str, sha256: str) -> dict[str, Any]:
    """What ``Recorded`` holds for file ``rel`` (bytes ``sha256``): the result's input
    records, errors, skipped notes and secret values as JSON data, each only when there
    is one. The file's own input record is kept as [format, resources] (a warm run parses
    one per file; the rest is the file's)."""
    record: dict[str, Any] = {
        "inputs": [
            [i.format, i.resources]
            if i.file == rel and i.sha256 == sha256
            else i.model_dump(mode="json")
            for i in result.inputs
        ]
    }
    if result.errors:
        record["errors"] = [e.model_dump(mode="json") for e in result.errors]
    if result.skipped:
        record["skipped"] = [{"file": s.file, "reason": s.reason} for s in result.skipped]
    secrets = {r: sorted(values) for r, values in result.secrets.items() if values}
    if secrets:
        record["secrets"] = secrets
    return record
