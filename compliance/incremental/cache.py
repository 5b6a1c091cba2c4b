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
versions, every Rego module and pack digest, every parameter set, the resources the unit
depends on (for the global unit: every resource of a kind the global checks' rules may read)
and, for "@now" units only, the evaluation time. A re-run after changing one file evaluates,
in one engine query, the units whose key changed: that file's namespace, and the global checks
only if the file holds a kind they read; every other unit's rows are reused. A group of over
``LARGE_GROUP`` resources (one namespace of a monorepo) keeps its ``resource`` checks'
findings per file (``group:<group>|<file>``): an edit there evaluates every check over the
edited file, and the families of the ``namespace`` checks over the whole group in a second
query. With a pack that brings its own Rego (no family analysis) nothing is reused.

Entries are JSON (never pickle), so a planted cache directory cannot run code. The cache
trusts its directory: do not restore one from an untrusted source.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import time
import weakref
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import orjson

from compliance import __version__
from compliance.assess import Member
from compliance.errors import InputError
from compliance.inputs.base import LoadOptions, LoadResult
from compliance.inputs.reading import MAX_CERT_BYTES, read_regular
from compliance.inputs.registry import LoadedFiles, Recorded, dependencies, record_of, with_secrets
from compliance.model import LoadError, Resource
from compliance.model.report import Report
from compliance.model.resource import Format

if TYPE_CHECKING:
    from compliance.errors import EngineError
    from compliance.evaluation.evaluator import Evaluator, ParamGroup, Row, RunFacts, Seed, Waive
    from compliance.policy.analysis import FamilyPlan
    from compliance.runner import RunOptions

DEFAULT_DIR = Path(".compliance-cache")
FORMAT = "15"
INDEX_SHARDS = 64
"""The index is split by folder (files) and unit name: a re-run after an edit rewrites
the few shards that changed, not one large file."""
BODY_SHARDS = 256
"""Bodies are split by a file's first namespace so that re-evaluating one namespace reads
and rewrites a small part of them."""

RACY_NS = 2_000_000_000
"""A file modified (or changed: ctime) less than this before the indexed run started is
read and hashed again even when its stat is unchanged: a write within the same timestamp
tick after it was read would otherwise go unnoticed (git's "racy" entries)."""

# a resource's record in the index: its id as loaded (a run gives the objects that share
# one ids of their own), line, format and the checks that assess it (None until known)
M_ID, M_KIND, M_NAME, M_NS, M_GROUP, M_DIGEST, M_LINE, M_FORMAT, M_ASSESSED = range(9)

_FORMATS = frozenset(get_args(Format))


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def options_digest(options: LoadOptions) -> str:
    """What besides a file's bytes changes what is loaded from it."""
    env = sorted((k, v) for k, v in options.env.items() if k.upper().startswith("BPI__"))
    return _digest(orjson.dumps([list(options.sets), env, options.max_file_bytes]))


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _body_shard(meta: list[Any] | None, rel: str) -> int:
    """A file's body shard: by the namespace of its first resource, so that a namespace's
    files share one; a file of cluster-scoped or non-Kubernetes resources by its first
    kind, so that the resources the global and time-dependent checks read (Terraform,
    SecurityConfig) sit together rather than in every shard."""
    if meta is None:
        key = rel
    elif str(meta[M_GROUP]).startswith("ns:"):
        key = str(meta[M_GROUP])
    else:
        key = f"kind:{meta[M_KIND]}"
    return zlib.crc32(key.encode()) % BODY_SHARDS


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

    # storage ---------------------------------------------------------------------------

    def index_path(self, shard: int) -> Path:
        return self.root / f"index-{self.options_key[:32]}-{shard:02d}.json"

    def body_path(self, shard: int) -> Path:
        return self.root / f"bodies-{self.options_key[:32]}-{shard:02d}.json"

    def _write(self, path: Path, data: bytes) -> None:
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
        if entry is None or entry["stat"] != _stat_key(st):
            return None
        changed_ns = max(st.st_mtime_ns, st.st_ctime_ns)
        started = self._oldest_start
        if changed_ns >= started - RACY_NS:  # then ask its own shard
            started = self._started[_index_shard(rel)]
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
            or not self._deps_unchanged(entry, self._started[_index_shard(rel)])
        ):
            self.misses += 1
            self.order.append(rel)  # in input order; put_file records what was parsed
            self._placed.add(rel)
            return None
        self.hits += 1
        stat = _stat_key(st) if st is not None else None
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
            if stat == _stat_key(st) and not self.verify and not racy:
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
            "stat": _stat_key(st) if st is not None else None,
            "sha256": sha,
            "shard": _body_shard(metas[0] if metas else None, rel),
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
        if isinstance(data, dict) and data.get("format") == FORMAT:
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
                    if not _valid_row(row):
                        return None
                    resources.append(Resource.from_row(row))
                out[rel] = resources
        return out

    def analysis(self, evaluator: Evaluator, present: set[str]) -> Analysis:
        """``analyse(evaluator, present)``: the last run's when the Rego, the packs and the
        kinds present are the same (``analysis.json``, sealed, rewritten on a change)."""
        key = _digest(_rules_digest(evaluator), *sorted(present))
        path = self.root / "analysis.json"
        try:
            data = unseal(path.read_bytes())
        except OSError:
            data = None
        if isinstance(data, dict) and data.get("key") == key:
            from compliance.policy.analysis import adopt_plan

            try:
                found = Analysis.from_data(data)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # sealed by a build of another layout: analysed again
            else:
                adopt_plan(evaluator, found.plan)  # a query's own analysis too (param sets)
                return found
        found = analyse(evaluator, present)
        self._write(path, seal(orjson.dumps({"key": key, **found.to_data()})))
        return found

    # saving ------------------------------------------------------------------------------

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
                data = orjson.dumps({"format": FORMAT, "files": content})
            except (TypeError, orjson.JSONEncodeError):
                for rel in content:
                    files.pop(rel, None)  # a value JSON cannot hold: always parsed
                continue
            self._write(self.body_path(shard), data)
        shard_files: list[dict[str, Any]] = [{} for _ in range(INDEX_SHARDS)]
        for rel, entry in files.items():
            shard_files[_index_shard(rel)][rel] = entry
        shard_units: list[dict[str, Any]] = [{} for _ in range(INDEX_SHARDS)]
        for name, (key, rows) in units.items():
            shard_units[_index_shard(name)][key] = rows
        for shard in range(INDEX_SHARDS):
            old = self._old_shards[shard]
            if (
                old is not None
                and _same_entries(old[0], shard_files[shard])
                and (old[1].keys() == shard_units[shard].keys())
            ):
                continue  # every entry the very one read, the same units
            if old is None and not shard_files[shard] and not shard_units[shard]:
                continue
            index = {
                "format": FORMAT,
                "version": __version__,
                "options": self.options_key,
                "started_ns": self._started_ns,
                "files": shard_files[shard],
                "units": {
                    key: _without_controls(rows, controls or {})
                    for key, rows in shard_units[shard].items()
                },
            }
            self._write(self.index_path(shard), seal(orjson.dumps(index)))


def _without_controls(rows: list[Any], controls: dict[str, list[str]]) -> list[Any]:
    """Rows as the index keeps them: ``controls`` None where they are all of the check's
    (almost every row; their strings were a fifth of the index)."""
    return [
        {**row, "controls": None} if row["controls"] == controls.get(row["check"]) else row
        for row in rows
    ]


def default_controls(evaluator: Evaluator) -> dict[str, list[str]]:
    """Per check, what ``Evaluator.rows`` gives a finding that every parameter set reported:
    every ``pack:control`` of the run's packs that maps the check, sorted."""
    from compliance.evaluation.evaluator import controls_by_check

    return {check: sorted(set(ids)) for check, ids in controls_by_check(evaluator.packs).items()}


def _same_entries(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return len(old) == len(new) and all(old.get(rel) is entry for rel, entry in new.items())


def _index_shard(name: str) -> int:
    """The index shard of a file (by its folder: a tree's files that change together
    mostly share one) or of a unit (by its name; every "@now" unit in one shard: a run
    without --now replaces them all, and rewrites that shard only)."""
    if not name.startswith(("group:", "global")):
        return _shard_of(name.rpartition("/")[0])
    return _shard_of("@now" if name.endswith("@now") else name)


@functools.lru_cache(maxsize=4096)
def _shard_of(key: str) -> int:
    return zlib.crc32(key.encode()) % INDEX_SHARDS


_SEAL_HEAD = b'{"sha256":"'
_SEAL_MID = b'","index":'


def seal(body: bytes) -> bytes:
    """The index as written: still one JSON document, its SHA-256 ahead of it, so that a
    damaged index is refused whole (~10 ms for 12 MB) instead of every entry being checked
    field by field on every run."""
    return b"".join((_SEAL_HEAD, hashlib.sha256(body).hexdigest().encode(), _SEAL_MID, body, b"}"))


def unseal(data: bytes) -> Any:
    """What ``seal`` sealed; None for anything else (foreign, truncated, edited)."""
    start = len(_SEAL_HEAD) + 64 + len(_SEAL_MID)
    if not (data.startswith(_SEAL_HEAD) and data[start - len(_SEAL_MID) : start] == _SEAL_MID):
        return None
    body = data[start:-1]
    if (
        data[-1:] != b"}"
        or hashlib.sha256(body).hexdigest().encode()
        != data[len(_SEAL_HEAD) : start - len(_SEAL_MID)]
    ):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _dependencies(rel: str, resources: Sequence[Resource]) -> list[list[Any]]:
    """The other files the load of ``rel`` read, as its loaders say
    (``compliance.inputs.registry.dependencies``), as [path, stat, sha256] (stat None: it
    was missing)."""
    out: list[list[Any]] = []
    for path in dependencies(rel, resources):
        try:
            st = path.stat()
            data = read_regular(path, str(path), MAX_CERT_BYTES)
            out.append([str(path), _stat_key(st), hashlib.sha256(data).hexdigest()])
        except (OSError, InputError):
            out.append([str(path), None, None])
    return out


def _valid_row(row: Any) -> bool:
    if not (isinstance(row, list) and len(row) == 11):
        return False
    rid, kind, name, ns, file, line, end, fmt, body, facts, lines = row
    return (
        isinstance(rid, str)
        and isinstance(kind, str)
        and isinstance(name, str)
        and (ns is None or isinstance(ns, str))
        and isinstance(file, str)
        and isinstance(line, int)
        and (end is None or isinstance(end, int))
        and fmt in _FORMATS
        and isinstance(body, dict)
        and isinstance(facts, dict)
        and isinstance(lines, dict)
    )


def resource_digest(row: Sequence[Any]) -> str:
    """Everything loaded for a resource (its row: body, facts, line marks, file, lines)."""
    return hashlib.blake2b(orjson.dumps(row)).hexdigest()[:32]


# ---------------------------------------------------------------- evaluation


LARGE_GROUP = 500
"""A group of more resources than this (one namespace of a monorepo) keeps the findings of
its ``resource`` checks per file (``group:<group>|<file>`` units): an edit re-evaluates
those checks over that file, and only the ``namespace`` checks over the whole group."""


class _Units:
    """The result units of a run and the resources (positions in ``metas``) each depends
    on: per group the ``resource``/``namespace`` checks (per file for the ``resource``
    checks of a ``LARGE_GROUP``), the ``global`` checks, and "@now" units for the checks
    that read the time."""

    def __init__(self, evaluator: Evaluator, cache: Cache) -> None:
        from compliance.assess import unique_ids

        _assess(evaluator, cache)
        files = cache._files
        metas: list[list[Any]] = []
        rel_at: list[str] = []
        self.start: dict[str, int] = {}
        """Per file, the position in ``metas`` of its first resource."""
        for rel in cache.order:
            entry = files.get(rel)
            if entry is not None and entry["resources"]:
                self.start[rel] = len(metas)
                metas.extend(entry["resources"])
                rel_at.extend([rel] * len(entry["resources"]))
        ids, self.duplicates = unique_ids(
            [(m[M_ID], rel) for m, rel in zip(metas, rel_at, strict=True)]
        )
        if self.duplicates:  # the run's ids; the index keeps the loaded ones
            metas = [m if m[M_ID] == i else [i, *m[1:]] for m, i in zip(metas, ids, strict=True)]
        self.metas, self.rel_at = metas, rel_at
        self.present = {m[M_KIND] for m in metas}
        found = cache.analysis(evaluator, self.present)
        self.cacheable = found.cacheable
        self.scope = _scopes(evaluator, found.cacheable)
        self.read = found.read
        """The kinds present that any check may read (``kinds_read``)."""
        self.global_kinds = global_kinds = found.global_kinds
        self.time_checks = found.time_checks
        self.time_kinds = time_kinds = found.time_kinds
        global_checks = [c for c, s in self.scope.items() if s == "global"]
        global_timed = bool(self.time_checks.intersection(global_checks))

        # Resource- and namespace-scoped checks share a unit per group: a change anywhere
        # in a namespace re-evaluates both over that namespace (a few ms), and there are
        # far fewer groups than files to key. Checks that read the time have units of
        # their own ("@now"), over the kinds they read, keyed by the time: without --now
        # only they are evaluated again on a re-run.
        self.last: dict[str, int] = {}
        last = self.last
        members: dict[str, list[int]] = {"global": []}
        in_global = members["global"]
        in_global_now: list[int] = []
        in_group: dict[str, list[int]] = {}
        in_group_now: dict[str, list[int]] = {}
        for i, (rid, kind, _name, _ns, group, *_rest) in enumerate(metas):
            last[rid] = i
            own = in_group.get(group)
            if own is None:
                own = in_group[group] = members[f"group:{group}"] = []
            own.append(i)
            if kind in time_kinds:
                own = in_group_now.get(group)
                if own is None:
                    own = in_group_now[group] = members[f"group:{group}@now"] = []
                own.append(i)
            if kind in global_kinds:
                in_global.append(i)
                if global_timed:
                    in_global_now.append(i)
        if global_timed and in_global_now:
            members["global@now"] = in_global_now
        self.large = (
            {group for group, own in in_group.items() if len(own) > LARGE_GROUP}
            if found.cacheable and evaluator.engine.name == "embedded"
            else set()
        )
        """The groups whose ``resource`` checks have a unit per file (the in-process engine
        only: a large group's namespace checks are asked for by their families' query)."""
        for group in sorted(self.large):
            for i in in_group[group]:
                members.setdefault(f"group:{group}|{rel_at[i]}", []).append(i)
        self.members = members

    def named(self, rel: str, resources: list[Resource]) -> list[Resource]:
        """``rel``'s resources with their ids in the run."""
        if not self.duplicates:
            return resources
        at = self.start[rel]
        out = []
        for j, r in enumerate(resources):
            rid = self.metas[at + j][M_ID]
            out.append(r if r.id == rid else r.model_copy(update={"id": rid}))
        return out

    def population(self) -> list[Member]:
        return [
            Member(
                m[M_ID],
                m[M_KIND],
                m[M_NAME],
                m[M_NS],
                rel,
                m[M_LINE],
                m[M_FORMAT],
                tuple(m[M_ASSESSED]),
            )
            for m, rel in zip(self.metas, self.rel_at, strict=True)
        ]

    def unit_of(self, check: str, rid: str) -> str:
        """The unit a finding of ``check`` on resource ``rid`` belongs to."""
        scope = self.scope.get(check, "global")
        if scope not in ("resource", "namespace"):
            return "global@now" if check in self.time_checks else "global"
        at = self.last[rid]
        group = self.metas[at][M_GROUP]
        if check in self.time_checks:
            return f"group:{group}@now"
        if scope == "resource" and group in self.large:
            return f"group:{group}|{self.rel_at[at]}"
        return f"group:{group}"

    def large_unit(self, unit: str) -> bool:
        """Whether ``unit`` holds the ``namespace`` checks of a ``LARGE_GROUP`` only."""
        return unit.startswith("group:") and unit[len("group:") :] in self.large

    def unexpected(self, check: str, kind: str) -> bool:
        """A global or time check reporting on a kind the analysis of its rules did not
        see: its unit's key would miss changes to such resources."""
        return (check in self.time_checks and kind not in self.time_kinds) or (
            self.scope.get(check, "global") == "global" and kind not in self.global_kinds
        )

    def keys(
        self, evaluator: Evaluator, groups: Sequence[ParamGroup], now: datetime
    ) -> dict[str, str]:
        """Each unit's key: everything its rows depend on (see the module docstring)."""
        metas = self.metas
        token = [f"{m[M_ID]}\x1f{m[M_DIGEST]}".encode() for m in metas]
        base = _digest(
            _rules_digest(evaluator),
            evaluator.engine.name,
            evaluator.engine.version(),
            *sorted(g.key for g in groups),
        )
        moment = str(int(now.timestamp()))
        # a large group's unit holds its namespace checks only: never the rows of the same
        # group's unit when it held every check (another LARGE_GROUP, the same resources)
        return {
            unit: hashlib.blake2b(
                f"{base}\x1f{unit}\x1f{moment if unit.endswith('@now') else ''}\x1f"
                f"{'namespace checks' if self.large_unit(unit) else ''}\x1f".encode()
                + b"\x1e".join([token[i] for i in members])
            ).hexdigest()
            for unit, members in self.members.items()
        }

    def files_of(self, units: Iterable[str]) -> list[str]:
        """The files (in input order) of every resource ``units`` depend on."""
        needed = {i for u in units for i in self.members[u]}
        return list(dict.fromkeys(self.rel_at[i] for i in sorted(needed)))


def evaluate_cached(
    evaluator: Evaluator,
    loaded: LoadResult,
    cache: Cache,
    options: RunOptions,
    waive: Waive | None = None,
) -> Report:
    """The report ``evaluate_loaded`` would give for the files ``cache`` loaded, evaluating
    only the result units whose key changed (see the module docstring)."""
    return evaluator.report(*_cached_rows(evaluator, loaded, cache, options), waive)


def evaluate_cached_data(
    evaluator: Evaluator, loaded: LoadResult, cache: Cache, options: RunOptions
) -> dict[str, Any]:
    """``evaluate_cached`` (no waivers) as the report's JSON data, without a model per
    finding: what a warm ``--format json`` run renders (``Evaluator.report_data``)."""
    return evaluator.report_data(*_cached_rows(evaluator, loaded, cache, options))


def _cached_rows(
    evaluator: Evaluator, loaded: LoadResult, cache: Cache, options: RunOptions
) -> tuple[list[Row], RunFacts]:
    """Every finding row of the run (the cached units' as stored, the others evaluated in
    one engine query per parameter set, and one more for the namespace checks of a large
    group with an edited file) and the rest of what it found; the cache saved."""
    from compliance.errors import EngineError
    from compliance.evaluation.evaluator import (
        GroupOutcome,
        RunFacts,
        engine_error,
        failed_packs,
    )

    now = options.now or datetime.now(UTC)
    units = _Units(evaluator, cache)
    groups = evaluator.param_groups(options.parameters)
    keys = units.keys(evaluator, groups, now)
    old_units: dict[str, Any] = cache._index()["units"] if units.cacheable else {}
    rows_of: dict[str, list[Row]] = {}
    controls = default_controls(evaluator)
    for unit, key in keys.items():
        hit = old_units.get(key)
        if isinstance(hit, list):
            for row in hit:  # as saved: the check's controls left out (one list for all)
                if row["controls"] is None:
                    row["controls"] = controls[row["check"]]
            rows_of[unit] = hit
    missing = sorted(keys.keys() - rows_of.keys())
    cache.evaluated_units = missing

    errors = list(loaded.errors)
    outcomes: list[GroupOutcome] = []
    keep = units.cacheable
    if missing:
        # Every check over the files of the missing units, but a large group's namespace
        # checks over that whole group apart (its other files' resource checks are kept),
        # unless every file of the group is there anyway (a first run: one query).
        large = [u for u in missing if units.large_unit(u)]
        wanted = set(missing) - set(large)
        rels = units.files_of(wanted)
        have = set(rels)
        apart = [u for u in large if not have.issuperset(units.files_of([u]))]
        wanted.update(u for u in large if u not in apart)
        rels_apart = units.files_of(apart) if apart else []
        bodies = cache.resources_of(list(dict.fromkeys([*rels, *rels_apart])))
        if bodies is None:
            raise CacheMiss("a cached body is missing or damaged")
        resources = [r for rel in rels for r in units.named(rel, bodies[rel])]
        grouped = [r for rel in rels_apart for r in units.named(rel, bodies[rel])]
        queries: list[tuple[list[Resource], tuple[str, frozenset[str]] | None, set[str]]] = (
            [(resources, None, wanted)] if resources else []
        )
        if grouped:
            queries.append((grouped, _namespace_query(evaluator), set(apart)))
        last: dict[str, Any] = {}  # the namespace query's parameters and violations
        for group in groups:
            own: list[Seed] | None = []
            for part, query, units_wanted in queries:
                found = _query_part(
                    evaluator, units, keys, part, query, group.params, now, units_wanted, last
                )
                if isinstance(found, EngineError):
                    errors.append(engine_error(found, evaluator.engine.name))
                    own = None
                    keep = False  # reported again next run, never hidden by the cache
                    break
                seeds, problems = found
                if problems:
                    errors.extend(LoadError(file="policies", message=p) for p in problems)
                    keep = False
                assert own is not None
                own.extend(seeds)
            outcomes.append(GroupOutcome(group, own))
        for unit in missing:
            rows_of[unit] = []
        for row in evaluator.rows(outcomes):
            rows_of[units.unit_of(row["check"], row["resource"]["id"])].append(row)

    cache.save({u: (keys[u], rows) for u, rows in rows_of.items()} if keep else {}, controls)
    return [row for rows in rows_of.values() for row in rows], RunFacts(
        now=now,
        population=units.population(),
        duplicates=units.duplicates,
        parameters=options.parameters,
        errors=errors,
        inputs=loaded.inputs,
        skipped=loaded.skipped,
        failed_packs=failed_packs(outcomes),
        exclusions=options.exclusions,
        notices=loaded.notices,
    )


def _assess(evaluator: Evaluator, cache: Cache) -> None:
    """Record in each file's entry the checks that assess each of its resources, where
    they are not known for the run's checks (a file parsed now, or other METADATA): from
    the resources parsed now or their bodies."""
    key = evaluator.assessor.key
    files = cache._files
    stale = [
        rel
        for rel in cache.order
        if (entry := files.get(rel)) is not None
        and entry["resources"]
        and entry.get("assess") != key
    ]
    if not stale:
        return
    bodies = cache.resources_of(stale)
    if bodies is None:
        raise CacheMiss("a cached body is missing or damaged")
    assessed_by = evaluator.assessor.assessed_by
    for rel in stale:
        entry = files[rel]
        metas = [
            [*m[:M_ASSESSED], list(assessed_by(r.kind, r.body, r.facts))]
            for m, r in zip(entry["resources"], bodies[rel], strict=True)
        ]
        files[rel] = {**entry, "assess": key, "resources": metas}


def _namespace_query(evaluator: Evaluator) -> tuple[str, frozenset[str]]:
    """The query of the families that hold ``namespace`` checks, and those families."""
    from compliance.policy.analysis import family_plan, family_query

    plan = family_plan(evaluator)
    assert plan is not None  # a large group's units exist only where results are kept
    families = sorted(
        {
            plan.family_of_check[c]
            for c, meta in evaluator.library.checks.items()
            if meta.scope == "namespace"
        }
    )
    return family_query(families), frozenset(families)


def _query_part(
    evaluator: Evaluator,
    units: _Units,
    keys: dict[str, str],
    resources: list[Resource],
    query: tuple[str, frozenset[str]] | None,
    params: dict[str, Any],
    now: datetime,
    wanted: set[str],
    last: dict[str, Any],
) -> tuple[list[Seed], list[str]] | EngineError:
    """The seeds of ``wanted`` units among what one query says of ``resources``: every
    check (``query`` None), or the given families' query over the kinds they read (asked
    again for another parameter set only if one of the families reads a parameter that
    differs: ``last`` holds the previous answer)."""
    from compliance.errors import EngineError
    from compliance.evaluation.evaluator import engine_input, seeds_of
    from compliance.policy.analysis import family_plan

    present = {r.kind for r in resources}
    try:
        if query is None:
            # what kinds_read gives for these resources: it judges each kind on its own
            violations = evaluator.query(resources, params, now, units.read & present)
        else:
            text, families = query
            plan = family_plan(evaluator)
            assert plan is not None
            if "params" in last and not plan.affected(last["params"], params) & families:
                violations = last["violations"]
            else:
                kinds = plan.kinds_of(families, present) & units.read
                violations = evaluator.engine.evaluate(
                    text, engine_input(resources, params, now, kinds)
                )
                last.update(params=params, violations=violations)
    except EngineError as e:
        return e
    seeds, problems = seeds_of(violations, evaluator.library, {r.id: r for r in resources})
    own = []
    for s in seeds:
        check, resource = s["check"], s["resource"]
        unit = units.unit_of(check, resource["id"])
        if unit not in keys or units.unexpected(check, resource["kind"]):
            raise CacheMiss(f"{check} reported on an unexpected kind {resource['kind']}")
        # the query saw some units' resources only: what it says of another unit (a global
        # check over part of the input, a resource check of a large group's other file) is
        # not that unit's result
        if unit in wanted:
            own.append(s)
    return own, problems


@dataclass(frozen=True)
class Analysis:
    """What the Rego of a run's checks may read, over the kinds present in its inputs."""

    plan: FamilyPlan | None
    """The checks' families (``family_plan``); None when they cannot be told apart (no
    result is reused then)."""
    read: frozenset[str]
    """The kinds present that any check may read (``kinds_read``)."""
    global_kinds: frozenset[str]
    """The kinds present that the ``global`` checks may read."""
    time_checks: frozenset[str]
    """The checks whose rules read the time (all of them when not ``cacheable``)."""
    time_kinds: frozenset[str]
    """The kinds present that ``time_checks`` may read."""

    @property
    def cacheable(self) -> bool:
        return self.plan is not None

    def to_data(self) -> dict[str, Any]:
        return {
            "plan": None if self.plan is None else self.plan.to_data(),
            **{name: sorted(getattr(self, name)) for name in _KIND_SETS},
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Analysis:
        """What ``to_data`` gave (read from a sealed file: as this version wrote it)."""
        from compliance.policy.analysis import FamilyPlan

        plan = None if data["plan"] is None else FamilyPlan.from_data(data["plan"])
        sets = {name: frozenset(data[name]) for name in _KIND_SETS}
        return cls(plan=plan, **sets)


_KIND_SETS = ("read", "global_kinds", "time_checks", "time_kinds")


def analyse(evaluator: Evaluator, present: set[str]) -> Analysis:
    """The analysis of the evaluator's Rego (``compliance.policy.analysis``) for a run over the
    kinds ``present``: every module's text is read (~40 ms for the bundled checks)."""
    from compliance.evaluation.evaluator import kinds_read
    from compliance.policy.analysis import family_plan, kinds_of_checks

    plan = family_plan(evaluator)
    scope = _scopes(evaluator, plan is not None)
    read = kinds_read(evaluator.modules, evaluator.library, present)
    global_checks = [c for c, s in scope.items() if s == "global"]
    time_checks = _time_checks(evaluator) if plan is not None else set(scope)
    return Analysis(
        plan=plan,
        read=frozenset(read),
        global_kinds=frozenset(kinds_of_checks(evaluator, global_checks, read)),
        time_checks=frozenset(time_checks),
        time_kinds=frozenset(kinds_of_checks(evaluator, sorted(time_checks), read)),
    )


def _scopes(evaluator: Evaluator, cacheable: bool) -> dict[str, str]:
    """Each check's declared scope; every check ``global`` when families cannot be told
    apart (nothing is reused then)."""
    if not cacheable:
        return dict.fromkeys(evaluator.library.checks, "global")
    return {c: meta.scope for c, meta in evaluator.library.checks.items()}


def _rules_digest(evaluator: Evaluator) -> str:
    """Everything the analysis of the checks reads, and part of every unit's key: the
    format and tool version, every Rego module (pack modules included), each check's
    module, kinds and scope, the packs. Memoised: an evaluator's modules never change
    (~100 KB of Rego serialised and hashed once a run, not once per use)."""
    known = _RULES_DIGESTS.get(evaluator)
    if known is not None:
        return known
    checks = {c: [m.module, sorted(m.kinds), m.scope] for c, m in evaluator.library.checks.items()}
    digest = _RULES_DIGESTS[evaluator] = _digest(
        FORMAT,
        __version__,
        orjson.dumps(sorted(p.digest or "" for p in evaluator.packs)),
        orjson.dumps(sorted(evaluator.modules.items())),
        orjson.dumps(checks, option=orjson.OPT_SORT_KEYS),
    )
    return digest


_RULES_DIGESTS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _time_checks(evaluator: Evaluator) -> set[str]:
    """Checks whose rules (or the rules they name) read ``input.now``/``input.now_ns``
    (TLS-04, certificate expiry): their results are reused only at the same time."""
    from compliance.policy.analysis import words_of_checks

    out = set()
    for check in evaluator.library.checks:
        words = words_of_checks(evaluator, [check])
        if words is None or words & {"now", "now_ns"}:
            out.add(check)
    return out


class CacheMiss(Exception):
    """The cache cannot answer (a damaged body): the caller evaluates without it."""
