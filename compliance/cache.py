"""The result cache (``.compliance-cache/``): safe to delete, never changes a result.

A warm run reads only what changed and evaluates only what a change can affect:

- index (``index-<options>.json``, one file): per input file its stat, the SHA-256 of its
  bytes, what was loaded from it apart from resource bodies (errors, input record, skipped
  notes, secret values) and per resource its id, kind, name, namespace, group and a digest
  of everything loaded for it (body, facts, line marks, file); and the seeds (resolved
  violations) of every result unit of the last run.
- bodies (``bodies-<options>-NNN.json``, 256 shards by a file's first namespace): the
  resources themselves, read only for the files a re-evaluation needs.

A file whose (size, mtime_ns, ctime_ns, inode, device) equals the index's is not read at
all, unless it changed within ``RACY_NS`` of the indexed run or ``verify`` is set (then it
is read and its hash compared, as is any file whose stat differs). Like git and make, this
trusts that a write changes a file's mtime or ctime.

Result units follow the checks' declared scopes (``custom.scope``, proven by
tests/packs/test_scope.py): per group (a namespace, or the file of anything not namespaced)
the seeds of the ``resource``- and ``namespace``-scoped checks on its resources, one unit for
the ``global`` checks, and for the checks whose rules read ``input.now`` (TLS-04) units of
their own ("@now") over the kinds they read. A unit's key digests the engine and tool
versions, every Rego module and pack digest, one parameter set, the resources the unit
depends on (for the global unit: every resource of a kind the global checks' rules may read)
and, for "@now" units only, the evaluation time. A re-run after changing one file evaluates,
in one engine query, the units whose key changed: that file's namespace, and the global checks
only if the file holds a kind they read; every other unit's seeds are reused. With a pack
that brings its own Rego (no family analysis) nothing is reused.

Entries are JSON (never pickle), so a planted cache directory cannot run code. The cache
trusts its directory: do not restore one from an untrusted source.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import orjson

from compliance import __version__
from compliance.loaders.base import LoadOptions, LoadResult
from compliance.loaders.registry import LoadedFiles, with_secrets
from compliance.models import LoadError, Resource
from compliance.models.construct import trusted
from compliance.models.report import InputRef, Report
from compliance.models.resource import Format

if TYPE_CHECKING:
    from compliance.evaluate import Evaluator, GroupOutcome, Waive
    from compliance.runner import RunOptions

DEFAULT_DIR = Path(".compliance-cache")
FORMAT = "6"
BODY_SHARDS = 256
"""Bodies are split by a file's first namespace so that re-evaluating one namespace reads
and rewrites a small part of them."""

RACY_NS = 2_000_000_000
"""A file modified (or changed: ctime) less than this before the indexed run started is
read and hashed again even when its stat is unchanged: a write within the same timestamp
tick after it was read would otherwise go unnoticed (git's "racy" entries)."""

# a resource's record in the index
M_ID, M_KIND, M_NAME, M_NS, M_GROUP, M_DIGEST = range(6)

_FORMATS = frozenset(get_args(Format))
_INPUT_FIELDS = frozenset(InputRef.model_fields)


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
    """A cache directory. Every method swallows I/O and decoding problems as a miss.

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
        and ``--verbose`` readers): ``file:<rel>``, ``group:<group>``, ``global``."""
        self.order: list[str] = []
        """Every file of the run that loaded (from the index or parsed), in input order."""
        self.fresh: dict[str, list[Resource]] = {}
        self._placed: set[str] = set()
        self._shards: dict[int, dict[str, Any]] = {}
        self._started_ns = time.time_ns()
        self._old: dict[str, Any] | None = None
        self._old_started_ns = 0
        self._files: dict[str, dict[str, Any]] = {}
        self._fresh_rows: dict[str, list[Any]] = {}
        self._files_changed = False

    # storage ---------------------------------------------------------------------------

    def index_path(self) -> Path:
        return self.root / f"index-{self.options_key[:32]}.json"

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
        """The previous run's index (absent, corrupt or foreign: empty)."""
        if self._old is None:
            self._old = {"files": {}, "units": {}}
            try:
                data = orjson.loads(self.index_path().read_bytes())
            except (OSError, orjson.JSONDecodeError):
                return self._old
            if (
                isinstance(data, dict)
                and data.get("format") == FORMAT
                and data.get("version") == __version__
                and data.get("options") == self.options_key
                and isinstance(data.get("started_ns"), int)
                and isinstance(data.get("files"), dict)
                and isinstance(data.get("units"), dict)
            ):
                self._old = data
                self._old_started_ns = data["started_ns"]
        return self._old

    # files (registry.FileCache) ----------------------------------------------------------

    def _entry(self, rel: str, kind: str, explicit: bool) -> dict[str, Any] | None:
        entry = self._index()["files"].get(rel)
        if (
            isinstance(entry, dict)
            and entry.get("kind") == kind
            and entry.get("explicit") is explicit
            and isinstance(entry.get("load"), dict)
            and isinstance(entry.get("resources"), list)
            and isinstance(entry.get("shard"), int)
        ):
            return entry
        return None

    def get_unchanged(
        self, rel: str, kind: str, explicit: bool, st: os.stat_result
    ) -> LoadResult | None:
        if self.verify:
            return None
        entry = self._entry(rel, kind, explicit)
        if entry is None or entry.get("stat") != _stat_key(st):
            return None
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self._old_started_ns - RACY_NS:
            return None  # racy: read and hash it
        if not self._deps_unchanged(entry):
            return None
        result = self._decode(entry)
        if result is not None:
            self.stat_hits += 1
            self.hits += 1
            self._keep(rel, entry)
        return result

    def get_file(
        self, rel: str, kind: str, explicit: bool, data: bytes, st: os.stat_result | None = None
    ) -> LoadResult | None:
        entry = self._entry(rel, kind, explicit)
        result = None
        if (
            entry is not None
            and entry.get("sha256") == hashlib.sha256(data).hexdigest()
            and self._deps_unchanged(entry)
        ):
            result = self._decode(entry)
        if result is None or entry is None:
            self.misses += 1
            self.order.append(rel)  # in input order; put_file records what was parsed
            self._placed.add(rel)
            return None
        self.hits += 1
        stat = _stat_key(st) if st is not None else None
        if entry.get("stat") != stat:  # touched, or racy: remember the stat seen now
            entry = {**entry, "stat": stat}
        self._files_changed = True  # its stat, or when it was checked (racy), changed
        self._keep(rel, entry)
        return result

    def _deps_unchanged(self, entry: dict[str, Any]) -> bool:
        """Whether the other files a load read (a SecurityConfig's certificate) are as
        they were: same stat, or same bytes (a missing file stays missing)."""
        deps = entry.get("deps", [])
        if not isinstance(deps, list):
            return False
        for dep in deps:
            if not (isinstance(dep, list) and len(dep) == 3 and isinstance(dep[0], str)):
                return False
            path, stat, sha = dep
            try:
                st = os.stat(path)
            except OSError:
                if stat is not None:
                    return False
                continue
            racy = max(st.st_mtime_ns, st.st_ctime_ns) >= self._old_started_ns - RACY_NS
            if stat == _stat_key(st) and not self.verify and not racy:
                continue
            try:
                if hashlib.sha256(Path(path).read_bytes()).hexdigest() != sha:
                    return False
            except OSError:
                return False
        return True

    def _keep(self, rel: str, entry: dict[str, Any], *, placed: bool = False) -> None:
        self._files[rel] = entry
        if not placed:
            self.order.append(rel)

    def _decode(self, entry: dict[str, Any]) -> LoadedFiles | None:
        """An index entry as a load result without resources; None when it is not what
        this version writes (a foreign or damaged index is a miss, never a crash)."""
        try:
            for rid, kind, name, ns, group, digest in entry["resources"]:
                if not (
                    str is type(rid) is type(kind) is type(name) is type(group) is type(digest)
                    and (ns is None or type(ns) is str)
                ):
                    return None
            load = entry["load"]
            inputs = []
            for i in load["inputs"]:
                if not (
                    isinstance(i, dict)
                    and i.keys() == _INPUT_FIELDS
                    and isinstance(i["file"], str)
                    and isinstance(i["format"], str)
                    and isinstance(i["sha256"], str)
                    and isinstance(i["resources"], int)
                ):
                    return None
                inputs.append(trusted(InputRef, i))  # checked above; thousands of them
            return LoadedFiles(
                errors=[LoadError.model_validate(e) for e in load["errors"]],
                inputs=inputs,
                skipped=[dict(s) for s in load["skipped"]],
                secrets={r: set(v) for r, v in load["secrets"].items()},
            )
        except (KeyError, TypeError, ValueError):
            return None

    def put_file(
        self,
        rel: str,
        kind: str,
        explicit: bool,
        data: bytes,
        result: LoadResult,
        st: os.stat_result | None = None,
    ) -> None:
        from compliance.scope import group_of

        secrets = {
            r: set(values)
            for r, values in (
                result.secrets if isinstance(result, LoadedFiles) else with_secrets(result).secrets
            ).items()
        }
        if result.inputs and rel.lower().endswith(".json"):
            # what input_secrets reads from a JSON input's text, which a stat hit never reads
            from compliance.evidence.redact import collect_from_text

            text = data.decode("utf-8-sig", errors="replace")
            secrets.setdefault(rel, set()).update(collect_from_text(rel, text))
        rows = [r.to_row() for r in result.resources]
        metas = [
            [r.id, r.kind, r.name, r.namespace, group_of(r), resource_digest(row)]
            for r, row in zip(result.resources, rows, strict=True)
        ]
        entry = {
            "kind": kind,
            "explicit": explicit,
            "deps": _dependencies(rel, result.resources),
            "stat": _stat_key(st) if st is not None else None,
            "sha256": hashlib.sha256(data).hexdigest(),
            "shard": _body_shard(metas[0] if metas else None, rel),
            "resources": metas,
            "load": {
                "errors": [e.model_dump(mode="json") for e in result.errors],
                "inputs": [i.model_dump(mode="json") for i in result.inputs],
                "skipped": result.skipped,
                # every file of a resource, with no values too: input_secrets walks the
                # resources of files it has no entry for
                "secrets": {
                    r: sorted(secrets.get(r, ()))
                    for r in {*secrets, *(res.source.file for res in result.resources)}
                },
            },
        }
        self._keep(rel, entry, placed=rel in self._placed)
        self.fresh[rel] = list(result.resources)
        self._fresh_rows[rel] = rows
        self._files_changed = True

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
                    and body.get("deps") == entry.get("deps")
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

    # saving ------------------------------------------------------------------------------

    def save(self, units: dict[str, Any]) -> None:
        """Write the index (this run's files and ``units``) and the body shards whose
        files changed. Nothing is written when nothing changed."""
        old = self._index()
        old_files: dict[str, Any] = old["files"]
        gone = old_files.keys() - self._files.keys()
        if not self._files_changed and not gone and units.keys() == old["units"].keys():
            return
        dirty: set[int] = set()
        for rel in self._fresh_rows:
            dirty.add(self._files[rel]["shard"])
            previous = old_files.get(rel)
            if isinstance(previous, dict) and isinstance(previous.get("shard"), int):
                dirty.add(previous["shard"])
        for rel in gone:
            previous = old_files.get(rel)
            if isinstance(previous, dict) and isinstance(previous.get("shard"), int):
                dirty.add(previous["shard"])
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
                        "deps": entry.get("deps"),
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
        index = {
            "format": FORMAT,
            "version": __version__,
            "options": self.options_key,
            "started_ns": self._started_ns,
            "files": files,
            "units": units,
        }
        self._write(self.index_path(), orjson.dumps(index))


def _dependencies(rel: str, resources: Sequence[Resource]) -> list[list[Any]]:
    """The other files the load of ``rel`` read, as [path, stat, sha256] (stat None: it
    was missing): today the certificate a SecurityConfig names (``facts.certificate``)."""
    out: list[list[Any]] = []
    for r in resources:
        cert = r.facts.get("certificate")
        if not isinstance(cert, dict) or not isinstance(cert.get("file"), str):
            continue
        path = Path(cert["file"])
        if not path.is_absolute():
            path = Path(rel).parent / path
        try:
            st = path.stat()
            out.append([str(path), _stat_key(st), hashlib.sha256(path.read_bytes()).hexdigest()])
        except OSError:
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


def evaluate_cached(
    evaluator: Evaluator,
    loaded: LoadResult,
    cache: Cache,
    options: RunOptions,
    waive: Waive | None = None,
) -> Report:
    """The report ``evaluate_loaded`` would give for the files ``cache`` loaded, evaluating
    only the result units whose key changed (see the module docstring)."""
    from compliance.errors import EngineError
    from compliance.evaluate import GroupOutcome, engine_error, kinds_read, seeds_of
    from compliance.families import family_plan, kinds_of_checks

    now = options.now or datetime.now(UTC)
    files = cache._files
    order = cache.order
    metas: list[list[Any]] = []
    rel_at: list[str] = []
    for rel in order:
        for meta in files[rel]["resources"] if rel in files else ():
            metas.append(meta)
            rel_at.append(rel)
    present = {m[M_KIND] for m in metas}
    errors = list(loaded.errors)
    plan = family_plan(evaluator)
    groups = evaluator.param_groups(options.parameters)

    last: dict[str, int] = {}
    shared_ids: set[str] = set()
    for i, m in enumerate(metas):
        rid = m[M_ID]
        if rid in last:
            shared_ids.add(rid)
        last[rid] = i
    positions: dict[str, list[int]] = defaultdict(list)  # of the ids resources share
    if shared_ids:
        for i, m in enumerate(metas):
            if m[M_ID] in shared_ids:
                positions[m[M_ID]].append(i)

    # the units, each with the positions of the resources it depends on
    scope = {c: meta.scope for c, meta in evaluator.library.checks.items()}
    if plan is None:
        scope = dict.fromkeys(scope, "global")
    read = kinds_read(evaluator.modules, evaluator.library, present)
    global_checks = [c for c, s in scope.items() if s == "global"]
    global_kinds = kinds_of_checks(evaluator, global_checks, read)
    time_checks = _time_checks(evaluator) if plan else set(scope)
    time_kinds = kinds_of_checks(evaluator, sorted(time_checks), read)
    global_timed = bool(time_checks.intersection(global_checks))
    # Resource- and namespace-scoped checks share a unit per group: a change anywhere in
    # a namespace re-evaluates both over that namespace (a few ms), and there are far
    # fewer groups than files to key. Checks that read the time have units of their own
    # ("@now"), over the kinds they read, keyed by the time: without --now only they are
    # evaluated again on a re-run.
    unit_members: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(metas):
        group, kind = m[M_GROUP], m[M_KIND]
        unit_members[f"group:{group}"].append(i)
        if kind in time_kinds:
            unit_members[f"group:{group}@now"].append(i)
        if kind in global_kinds:
            unit_members["global"].append(i)
            if global_timed:
                unit_members["global@now"].append(i)
    unit_members.setdefault("global", [])

    def unit_of(check: str, rid: str) -> str:
        base = "global"
        if scope.get(check, "global") in ("resource", "namespace"):
            base = f"group:{metas[last[rid]][M_GROUP]}"
        return f"{base}@now" if check in time_checks else base

    def closure(members: list[int]) -> list[int]:
        """With every resource that shares an id with a member (a finding names the
        last of them)."""
        if not shared_ids:
            return members
        out = set(members)
        for i in members:
            if metas[i][M_ID] in shared_ids:
                out.update(positions[metas[i][M_ID]])
        return sorted(out)

    modules_digest = _digest(orjson.dumps(sorted(evaluator.modules.items())))
    token = [f"{m[M_ID]}\x1f{m[M_DIGEST]}".encode() for m in metas]
    # A resource whose id others share stands for all of them (in input order): a unit
    # depends on every resource its findings may be resolved against.
    for rid in shared_ids:
        together = b"\x1d" + b"\x1e".join(token[i] for i in positions[rid])
        for i in positions[rid]:
            token[i] = together
    material = {
        unit: hashlib.blake2b(b"\x1e".join([token[i] for i in members])).hexdigest()
        for unit, members in unit_members.items()
    }
    cacheable = plan is not None
    old_units: dict[str, Any] = cache._index()["units"] if cacheable else {}
    keys: dict[bytes, dict[str, str]] = {}
    cached: dict[bytes, dict[str, list[Any]]] = {}
    missing: dict[bytes, set[str]] = {}
    for group in groups:
        base = _digest(
            FORMAT,
            __version__,
            evaluator.engine.name,
            evaluator.engine.version(),
            orjson.dumps(sorted(p.digest or "" for p in evaluator.packs)),
            modules_digest,
            group.key,
        )
        moment = str(int(now.timestamp()))
        keys[group.key] = {
            u: hashlib.blake2b(
                f"{base}\x1f{u}\x1f{text}\x1f{moment if u.endswith('@now') else ''}".encode()
            ).hexdigest()
            for u, text in material.items()
        }
        cached[group.key] = {}
        missing[group.key] = set()
        for unit, key in keys[group.key].items():
            hit = old_units.get(key)
            if isinstance(hit, str):  # the same seeds as another parameter set's unit
                hit = old_units.get(hit)
            if isinstance(hit, list) and cacheable:
                cached[group.key][unit] = hit
            else:
                missing[group.key].add(unit)

    all_missing = set().union(*missing.values()) if missing else set()
    needed_positions = closure(sorted({i for u in all_missing for i in unit_members[u]}))
    needed_rels = list(dict.fromkeys(rel_at[i] for i in needed_positions))
    resources: list[Resource] = []
    if needed_rels:
        loaded_bodies = cache.resources_of(needed_rels)
        if loaded_bodies is None:
            raise CacheMiss("a cached body is missing or damaged")
        for rel in needed_rels:
            resources.extend(loaded_bodies[rel])
    by_id = {r.id: r for r in resources}
    cache.evaluated_units = sorted(all_missing)

    outcomes: list[GroupOutcome] = []
    units_out: dict[str, Any] = {}
    first_group_seeds: dict[str, tuple[str, list[Any]]] = {}
    kinds = kinds_read(evaluator.modules, evaluator.library, {r.kind for r in resources})
    for group in groups:
        fresh: dict[str, list[Any]] = {u: [] for u in missing[group.key]}
        keep_units = cacheable
        if missing[group.key]:
            try:
                violations = evaluator.query(resources, group.params, now, kinds)
            except EngineError as e:
                errors.append(engine_error(e, evaluator.engine.name))
                outcomes.append(GroupOutcome(group, None))
                continue
            seeds, problems = seeds_of(violations, evaluator.library, by_id)
            if problems:
                errors.extend(LoadError(file="policies", message=p) for p in problems)
                keep_units = False  # reported again next run, never hidden by the cache
            for s in seeds:
                check, kind = s["check"], s["resource"]["kind"]
                unit = unit_of(check, s["resource"]["id"])
                if (
                    unit not in keys[group.key]
                    or (check in time_checks and kind not in time_kinds)
                    or (scope.get(check, "global") == "global" and kind not in global_kinds)
                ):
                    # a check reported on a kind the analysis of its rules did not see:
                    # its unit's key would miss changes to it; never cache such a run
                    raise CacheMiss(f"{check} reported on an unexpected kind {kind}")
                if unit in fresh:
                    fresh[unit].append(s)
        seeds_all: list[Any] = []
        for unit, unit_seeds in (*cached[group.key].items(), *fresh.items()):
            seeds_all.extend(unit_seeds)
            if keep_units:
                # packs differ in a parameter or two: most units hold the same seeds for
                # every parameter set, stored once (the first set's key stands for them)
                first = first_group_seeds.get(unit)
                if first is not None and first[1] == unit_seeds:
                    units_out[keys[group.key][unit]] = first[0]
                else:
                    units_out[keys[group.key][unit]] = unit_seeds
                    first_group_seeds.setdefault(unit, (keys[group.key][unit], unit_seeds))
        outcomes.append(GroupOutcome(group, seeds_all))

    report = evaluator.assemble(
        outcomes,
        now=now,
        resource_count=len(metas),
        kinds_present=present,
        parameters=options.parameters,
        errors=errors,
        inputs=loaded.inputs,
        waive=waive,
    )
    if loaded.skipped:
        report = report.model_copy(update={"extra": {**report.extra, "skipped": loaded.skipped}})
    cache.save(units_out)
    return report


def _time_checks(evaluator: Evaluator) -> set[str]:
    """Checks whose rules (or the rules they name) read ``input.now``/``input.now_ns``
    (TLS-04, certificate expiry): their results are reused only at the same time."""
    from compliance.families import words_of_checks

    out = set()
    for check in evaluator.library.checks:
        words = words_of_checks(evaluator, [check])
        if words is None or words & {"now", "now_ns"}:
            out.add(check)
    return out


class CacheMiss(Exception):
    """The cache cannot answer (a damaged body): the caller evaluates without it."""
