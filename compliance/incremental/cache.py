"""The result cache (``.compliance-cache/``): safe to delete, never changes a result.

A warm run reads only what changed and evaluates only what a change can affect:

- index (``index-<options>-NN.json``, 64 shards: files by folder, units by name; each
  sealed with the SHA-256 of its body): per input file its stat, the SHA-256 of its bytes,
  what was loaded from it apart from resource bodies (errors, input record, skipped notes,
  secret values) and per resource its id, kind, name, namespace, group and a digest of
  everything loaded for it (body, facts, line marks, file); and the finding rows (resolved
  violations with their controls and fingerprints) of every result unit of the last run.
  A run writes only the shards whose entries or units changed.
- bodies (``bodies-<options>-NNN.json``, 256 shards by a file's first namespace): the
  resources themselves, read only for the files a re-evaluation needs.
- ``analysis.json`` (sealed): what the analysis of the checks' Rego (compliance.policy.analysis)
  says they may read, for the last run's modules, packs and kinds present.

A file whose (size, mtime_ns, ctime_ns, inode, device) equals the index's is not read at
all, unless it changed within ``RACY_NS`` of the indexed run or ``verify`` is set (then it
is read and its hash compared, as is any file whose stat differs). Like git and make, this
trusts that a write changes a file's mtime or ctime.

Result units follow the checks' declared scopes (``custom.scope``, proven by
tests/packs/test_scope.py): per group (a namespace, or the file of anything not namespaced)
the findings of the ``resource``- and ``namespace``-scoped checks on its resources, one unit for
the ``global`` checks, and for the checks whose rules read ``input.now`` (TLS-04) units of
their own ("@now") over the kinds they read. A unit's key digests the engine and tool
versions, the package's own code (``compliance.incremental.code``: a changed loader or
evaluator never serves the old code's results; the index and bodies carry it too), every
Rego module and pack digest, every parameter set, the resources the unit
depends on (for the global unit: every resource of a kind the global checks' rules may read)
and, for "@now" units only, the evaluation time. A re-run after changing one file evaluates,
in one engine query, the units whose key changed: that file's namespace, and the global checks
only if the file holds a kind they read; every other unit's rows are reused. A group of over
``LARGE_GROUP`` resources (one namespace of a monorepo) keeps its ``resource`` checks'
findings per file (``group:<group>|<file>``): an edit there evaluates every check over the
edited file, and the families of the ``namespace`` checks over the whole group in a second
query. With a pack that brings its own Rego (no family analysis) nothing is reused.

Layout: ``store`` (the files' format, seals, digests), this module (the directory: index,
file store, bodies, saving), ``units`` (the result units and their keys), ``run`` (the
missing units evaluated through compliance.evaluation.planner, as the cold path is).

Entries are JSON (never pickle), so a planted cache directory cannot run code. The cache
trusts its directory: do not restore one from an untrusted source.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from compliance import __version__
from compliance.errors import InputError
from compliance.incremental import code
from compliance.incremental.store import (
    FORMAT,
    INDEX_SHARDS,
    body_shard,
    index_shard,
    options_digest,
    resource_digest,
    same_entries,
    seal,
    stat_key,
    unseal,
    valid_row,
    without_controls,
)
from compliance.inputs.base import LoadOptions, LoadResult
from compliance.inputs.reading import MAX_CERT_BYTES, read_regular
from compliance.inputs.registry import LoadedFiles, Recorded, dependencies, record_of, with_secrets
from compliance.model import Resource

DEFAULT_DIR = Path(".compliance-cache")

RACY_NS = 2_000_000_000
"""A file modified (or changed: ctime) less than this before the indexed run started is
read and hashed again even when its stat is unchanged: a write within the same timestamp
tick after it was read would otherwise go unnoticed (git's "racy" entries)."""


class Cache:
    """A cache directory. Every method swallows I/O and decoding problems as a miss (the
    index is sealed: one that does not match its digest is not read at all).

    Plugs into ``load_paths`` (``registry.FileCache``): a file answered from the index is
    returned without its resources (``resources`` empty; they are read from the bodies
    only if ``evaluate_cached`` needs them), a parsed one is kept in ``fresh``."""

    def __init__(
        self, root: Path = DEFAULT_DIR, options: LoadOptions | None = None, *, verify: bool = False
    ) -> None:
        self.root = root
        self.options_key = options_digest(options or LoadOptions())
        self.verify = verify
        self.hits = 0
        self.misses = 0
        self.stat_hits = 0
        """Hits answered from the stat alone (the file was not read)."""
        self.evaluated_units: list[str] = []
        """The result units the last ``evaluate_cached`` evaluated in the engine (for tests
        and ``--verbose`` readers): ``group:<group>``, ``global``, and their "@now" twins."""
        self.order: list[str] = []
        """Every file of the run that loaded (from the index or parsed), in input order."""
        self.fresh: dict[str, list[Resource]] = {}
        self._placed: set[str] = set()
        self._shards: dict[int, dict[str, Any]] = {}
        self._started_ns = time.time_ns()
        self._old: dict[str, Any] | None = None
        self._old_shards: list[tuple[dict[str, Any], dict[str, Any]] | None] = []
        """Each index shard as read: (files, units), None when absent or refused."""
        self._started: list[int] = [0] * INDEX_SHARDS
        """When the run that wrote each index shard started (racy entries)."""
        self._oldest_start = self._started_ns
        self._files: dict[str, dict[str, Any]] = {}
        self._fresh_rows: dict[str, list[Any]] = {}

    @property
    def entries(self) -> Mapping[str, dict[str, Any]]:
        """This run's file entries by path (from the index or parsed now): each with its
        resources' records and the checks that assess them (``assess``), which the run's
        unit planning fills in."""
        return self._files

    def record_assessed(self, rel: str, key: str, records: list[list[Any]]) -> None:
        """Replace the resource records of ``rel``'s entry with ``records`` (each naming
        the checks that assess it), assessed by the checks of ``key``."""
        self._files[rel] = {**self._files[rel], "assess": key, "resources": records}

    def stored_units(self) -> dict[str, Any]:
        """The result units the previous runs stored, by unit key."""
        units: dict[str, Any] = self._index()["units"]
        return units

    # storage ---------------------------------------------------------------------------

    def index_path(self, shard: int) -> Path:
        return self.root / f"index-{self.options_key[:32]}-{shard:02d}.json"

    def body_path(self, shard: int) -> Path:
        return self.root / f"bodies-{self.options_key[:32]}-{shard:02d}.json"

    def write(self, path: Path, data: bytes) -> None:
        try:
            if not (self.root / ".gitignore").exists():
                self.root.mkdir(parents=True, exist_ok=True)
                # never committed by accident
                (self.root / ".gitignore").write_text("*\n")
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written is only slower

    def _index(self) -> dict[str, Any]:
        """The previous runs' index, every shard merged (an absent, damaged or foreign
        shard adds nothing: its files are read again)."""
        if self._old is None:
            self._old = {"files": {}, "units": {}}
            files, units = self._old["files"], self._old["units"]
            for shard in range(INDEX_SHARDS):
                try:
                    data = unseal(self.index_path(shard).read_bytes())
                except OSError:
                    data = None
                if not (
                    isinstance(data, dict)
                    and data.get("format") == FORMAT
                    and data.get("version") == __version__
                    and data.get("code") == code.code_digest()
                    and data.get("options") == self.options_key
                    and isinstance(data.get("started_ns"), int)
                    and isinstance(data.get("files"), dict)
                    and isinstance(data.get("units"), dict)
                ):
                    self._old_shards.append(None)
                    continue
                self._old_shards.append((data["files"], data["units"]))
                self._started[shard] = data["started_ns"]
                self._oldest_start = min(self._oldest_start, data["started_ns"])
                files.update(data["files"])
                units.update(data["units"])
        return self._old

    # files (registry.FileCache) ----------------------------------------------------------

    def _entry(self, rel: str, kind: str, explicit: bool) -> dict[str, Any] | None:
        entry: dict[str, Any] | None = self._index()["files"].get(rel)
        if entry is not None and entry["kind"] == kind and entry["explicit"] is explicit:
            return entry
        return None

    def get_unchanged(
        self, rel: str, kind: str, explicit: bool, st: os.stat_result
    ) -> Recorded | None:
        if self.verify:
            return None
        entry = self._entry(rel, kind, explicit)
        if entry is None or entry["stat"] != stat_key(st):
            return None
        changed_ns = max(st.st_mtime_ns, st.st_ctime_ns)
        started = self._oldest_start
        if changed_ns >= started - RACY_NS:  # then ask its own shard
            started = self._started[index_shard(rel)]
            if changed_ns >= started - RACY_NS:
                return None  # racy: read and hash it
        if entry["deps"] and not self._deps_unchanged(entry, started):
            return None
        self.stat_hits += 1
        self.hits += 1
        self._keep(rel, entry)
        return Recorded(entry["load"], rel, entry["sha256"])

    def get_file(
        self, rel: str, kind: str, explicit: bool, data: bytes, st: os.stat_result | None = None
    ) -> Recorded | None:
        entry = self._entry(rel, kind, explicit)
        if (
            entry is None
            or entry["sha256"] != hashlib.sha256(data).hexdigest()
            or not self._deps_unchanged(entry, self._started[index_shard(rel)])
        ):
            self.misses += 1
            self.order.append(rel)  # in input order; put_file records what was parsed
            self._placed.add(rel)
            return None
        self.hits += 1
        stat = stat_key(st) if st is not None else None
        # a new entry, its shard written again: the stat seen now (touched), or when it
        # was checked (racy)
        entry = {**entry, "stat": stat}
        self._keep(rel, entry)
        return Recorded(entry["load"], rel, entry["sha256"])

    def _deps_unchanged(self, entry: dict[str, Any], started: int) -> bool:
        """Whether the other files a load read (a SecurityConfig's certificate) are as
        they were: same stat, or same bytes (a missing file stays missing)."""
        for path, stat, sha in entry["deps"]:
            try:
                st = os.stat(path)
            except OSError:
                if stat is not None:
                    return False
                continue
            racy = max(st.st_mtime_ns, st.st_ctime_ns) >= started - RACY_NS
            if stat == stat_key(st) and not self.verify and not racy:
                continue
            if stat is None:  # missing or unreadable then: load again
                return False
            try:
                data = read_regular(path, path, MAX_CERT_BYTES)
            except InputError:
                return False
            if hashlib.sha256(data).hexdigest() != sha:
                return False
        return True

    def _keep(self, rel: str, entry: dict[str, Any], *, placed: bool = False) -> None:
        self._files[rel] = entry
        if not placed:
            self.order.append(rel)

    def put_file(
        self,
        rel: str,
        kind: str,
        explicit: bool,
        data: bytes,
        result: LoadResult,
        st: os.stat_result | None = None,
    ) -> None:
        from compliance.evaluation.scope import group_of

        secrets = {
            r: set(values)
            for r, values in (
                result.secrets if isinstance(result, LoadedFiles) else with_secrets(result).secrets
            ).items()
        }
        if result.inputs and rel.lower().endswith(".json"):
            # what input_secrets reads from a JSON input's text, which a stat hit never reads
            from compliance.secrets.collect import collect_from_text

            text = data.decode("utf-8-sig", errors="replace")
            secrets.setdefault(rel, set()).update(collect_from_text(rel, text))
        sha = hashlib.sha256(data).hexdigest()
        rows = [r.to_row() for r in result.resources]
        metas = [
            [
                r.id,
                r.kind,
                r.name,
                r.namespace,
                group_of(r),
                resource_digest(row),
                r.source.line,
                r.source.format,
                None,
            ]
            for r, row in zip(result.resources, rows, strict=True)
        ]
        entry = {
            "kind": kind,
            "explicit": explicit,
            "deps": _dependencies(rel, result.resources),
            "stat": stat_key(st) if st is not None else None,
            "sha256": sha,
            "shard": body_shard(metas[0] if metas else None, rel),
            "resources": metas,
            "load": record_of(
                LoadedFiles(
                    errors=result.errors,
                    inputs=result.inputs,
                    skipped=result.skipped,
                    secrets=secrets,
                ),
                rel,
                sha,
            ),
        }
        self._keep(rel, entry, placed=rel in self._placed)
        self.fresh[rel] = list(result.resources)
        self._fresh_rows[rel] = rows

    # bodies ------------------------------------------------------------------------------

    def _read_shard(self, shard: int) -> dict[str, Any]:
        """A body shard as written by the last run (read once per run)."""
        if shard in self._shards:
            return self._shards[shard]
        files: Any = {}
        try:
            data = orjson.loads(self.body_path(shard).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            data = None
        if (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and data.get("code") == code.code_digest()
        ):
            files = data.get("files")
        self._shards[shard] = files if isinstance(files, dict) else {}
        return self._shards[shard]

    def resources_of(self, rels: Iterable[str]) -> dict[str, list[Resource]] | None:
        """The resources of ``rels`` (parsed this run, or from the bodies); None when a
        body is missing or does not match the index (the caller then parses again)."""
        out: dict[str, list[Resource]] = {}
        by_shard: dict[int, list[str]] = defaultdict(list)
        for rel in rels:
            if rel in self.fresh:
                out[rel] = self.fresh[rel]
            else:
                by_shard[self._files[rel]["shard"]].append(rel)
        for shard, wanted in by_shard.items():
            files = self._read_shard(shard)
            for rel in wanted:
                # the body of the very bytes the index describes (the index and a shard
                # are written one after the other: a run that died between them, or a
                # shard from another run, does not match)
                body = files.get(rel)
                entry = self._files[rel]
                if not (
                    isinstance(body, dict)
                    and body.get("sha256") == entry["sha256"]
                    and body.get("deps") == entry["deps"]
                    and isinstance(body.get("rows"), list)
                    and len(body["rows"]) == len(entry["resources"])
                ):
                    return None
                resources = []
                for row in body["rows"]:
                    if not valid_row(row):
                        return None
                    resources.append(Resource.from_row(row))
                out[rel] = resources
        return out

    def save(
        self,
        units: dict[str, tuple[str, list[Any]]],
        controls: dict[str, list[str]] | None = None,
    ) -> None:
        """Write the body shards whose files changed, and the index shards whose files or
        units (name -> (key, rows)) changed: a re-run after one edit writes a few small
        files, and one that changed nothing writes none. A row naming its check's
        ``controls`` (check -> every pack control mapping it) is written without them."""
        old_files: dict[str, Any] = self._index()["files"]
        gone = old_files.keys() - self._files.keys()
        # the shards of the files parsed this run, where they were and are now, and of
        # the files gone (the index is sealed: its entries are as this version wrote them)
        dirty = {self._files[rel]["shard"] for rel in self._fresh_rows}
        dirty.update(
            old_files[rel]["shard"] for rel in (*self._fresh_rows, *gone) if rel in old_files
        )
        files = dict(self._files)
        for shard in sorted(dirty):
            previous_rows = self._read_shard(shard)
            content: dict[str, Any] = {}
            for rel, entry in self._files.items():
                if entry["shard"] != shard:
                    continue
                if rel in self._fresh_rows:
                    body: Any = {
                        "sha256": entry["sha256"],
                        "deps": entry["deps"],
                        "rows": self._fresh_rows[rel],
                    }
                else:
                    body = previous_rows.get(rel)
                if body is None:
                    files.pop(rel, None)  # its body is lost: parsed again next time
                    continue
                content[rel] = body
            try:
                data = orjson.dumps(
                    {"format": FORMAT, "code": code.code_digest(), "files": content}
                )
            except (TypeError, orjson.JSONEncodeError):
                for rel in content:
                    files.pop(rel, None)  # a value JSON cannot hold: always parsed
                continue
            self.write(self.body_path(shard), data)
        shard_files: list[dict[str, Any]] = [{} for _ in range(INDEX_SHARDS)]
        for rel, entry in files.items():
            shard_files[index_shard(rel)][rel] = entry
        shard_units: list[dict[str, Any]] = [{} for _ in range(INDEX_SHARDS)]
        for name, (key, rows) in units.items():
            shard_units[index_shard(name)][key] = rows
        for shard in range(INDEX_SHARDS):
            old = self._old_shards[shard]
            if (
                old is not None
                and same_entries(old[0], shard_files[shard])
                and (old[1].keys() == shard_units[shard].keys())
            ):
                continue  # every entry the very one read, the same units
            if old is None and not shard_files[shard] and not shard_units[shard]:
                continue
            index = {
                "format": FORMAT,
                "version": __version__,
                "code": code.code_digest(),
                "options": self.options_key,
                "started_ns": self._started_ns,
                "files": shard_files[shard],
                "units": {
                    key: without_controls(rows, controls or {})
                    for key, rows in shard_units[shard].items()
                },
            }
            self.write(self.index_path(shard), seal(orjson.dumps(index)))


def _dependencies(rel: str, resources: Sequence[Resource]) -> list[list[Any]]:
    """The other files the load of ``rel`` read, as its loaders say
    (``compliance.inputs.registry.dependencies``), as [path, stat, sha256] (stat None: it
    was missing)."""
    out: list[list[Any]] = []
    for path in dependencies(rel, resources):
        try:
            st = path.stat()
            data = read_regular(path, str(path), MAX_CERT_BYTES)
            out.append([str(path), stat_key(st), hashlib.sha256(data).hexdigest()])
        except (OSError, InputError):
            out.append([str(path), None, None])
    return out


class CacheMiss(Exception):
    """The cache cannot answer (a damaged body): the caller evaluates without it."""
