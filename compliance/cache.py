"""The result cache (``.compliance-cache/``): safe to delete, never changes a result.

Two layers (design and limits in benchmarks/README.md):

- files: a snapshot per set of loader options (``--set``, ``BPI__`` variables, size limit)
  and tool version, 16 shards by path: per input file its stat, the SHA-256 of its bytes
  and what was loaded from it. An unchanged stat (size, mtime_ns, ctime_ns, inode, device)
  skips reading the file (unless it changed within 2 s of the snapshot's run: "racy", or
  ``--cache-verify`` / a bundle run); an equal hash skips parsing it.
- results: the violations of one check family (a ``compliance.checks.<family>`` package),
  keyed by the engine and tool versions, the pack digests (every Rego module), the
  parameters, ``--now``, and the content of every resource of the kinds that family reads.
  A re-run after changing one file re-evaluates only the families that read a kind the file
  holds, in one engine query over those kinds; the others are reused.

Entries are JSON (never pickle), so a planted cache directory cannot run code. The cache
trusts its directory: do not restore one from an untrusted source.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import weakref
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import orjson

from compliance import __version__
from compliance.loaders.base import LoadOptions, LoadResult
from compliance.loaders.registry import LoadedFiles, with_secrets
from compliance.models import LoadError, Resource
from compliance.models.report import InputRef
from compliance.models.resource import Format

if TYPE_CHECKING:
    from compliance.evaluate import Evaluator

DEFAULT_DIR = Path(".compliance-cache")
FORMAT = "4"
_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_CHECKS_PREFIX = "compliance.checks."


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


RACY_NS = 2_000_000_000
"""A file modified (or changed: ctime) less than this before the snapshot's run started is
read and hashed again even when its stat is unchanged: a write within the same timestamp
tick after it was read would otherwise go unnoticed (git's "racy" entries)."""


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


class Cache:
    """A cache directory. Every method swallows I/O and decoding problems as a miss.

    Files: one snapshot per set of loader options (``files-<key>-NN.json``, 16 shards by
    path so that a changed file rewrites one), read once per run,
    holding per input file its stat, the SHA-256 of its bytes and what was loaded from it
    (resources with their content digests, errors, input record, skipped notes, secret
    values). A file whose (size, mtime_ns, ctime_ns, inode, device) equals the snapshot's is
    not read at all, unless it changed within ``RACY_NS`` of the snapshot's run or
    ``verify`` is set (then it is read and its hash compared, as is any file whose stat
    differs). Like git and make, this trusts that a write changes a file's mtime or ctime.
    The snapshot is rewritten (atomically) only when something changed."""

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
        self._started_ns = time.time_ns()
        self._old: dict[str, Any] | None = None
        self._old_started_ns = [0] * SHARDS
        self._new: dict[str, Any] = {}
        self._dirty = [False] * SHARDS
        self._digests: dict[int, tuple[Resource, str]] = {}

    # storage ---------------------------------------------------------------------------

    def _path(self, area: str, key: str) -> Path:
        return self.root / area / key[:2] / f"{key}.json"

    def _get(self, area: str, key: str) -> Any:
        try:
            return orjson.loads(self._path(area, key).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None

    def _write(self, path: Path, data: bytes) -> None:
        try:
            if not self.root.exists():
                self.root.mkdir(parents=True)
                # never committed by accident
                (self.root / ".gitignore").write_text("*\n")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written is only slower

    def _put(self, area: str, key: str, value: Any) -> None:
        self._write(self._path(area, key), orjson.dumps(value))

    # files (registry.FileCache) ----------------------------------------------------------

    def snapshot_path(self, shard: int) -> Path:
        return self.root / f"files-{self.options_key[:32]}-{shard:02d}.json"

    def _snapshot(self) -> dict[str, Any]:
        """The previous run's files (a shard absent, corrupt or foreign holds none)."""
        if self._old is None:
            self._old = {}
            for shard in range(SHARDS):
                try:
                    data = orjson.loads(self.snapshot_path(shard).read_bytes())
                except (OSError, orjson.JSONDecodeError):
                    continue
                if (
                    isinstance(data, dict)
                    and data.get("format") == FORMAT
                    and data.get("version") == __version__
                    and data.get("options") == self.options_key
                    and isinstance(data.get("started_ns"), int)
                    and isinstance(data.get("files"), dict)
                ):
                    self._old.update(
                        (rel, e) for rel, e in data["files"].items() if _shard(rel) == shard
                    )
                    self._old_started_ns[shard] = data["started_ns"]
        return self._old

    def _entry(self, rel: str, kind: str, explicit: bool) -> dict[str, Any] | None:
        entry = self._snapshot().get(rel)
        if (
            isinstance(entry, dict)
            and entry.get("kind") == kind
            and entry.get("explicit") is explicit
            and isinstance(entry.get("load"), dict)
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
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self._old_started_ns[_shard(rel)] - RACY_NS:
            return None  # racy: read and hash it
        result = self._decode(rel, entry["load"])
        if result is not None:
            self.stat_hits += 1
            self.hits += 1
            self._new[rel] = entry
        return result

    def get_file(
        self, rel: str, kind: str, explicit: bool, data: bytes, st: os.stat_result | None = None
    ) -> LoadResult | None:
        entry = self._entry(rel, kind, explicit)
        result = None
        if entry is not None and entry.get("sha256") == hashlib.sha256(data).hexdigest():
            result = self._decode(rel, entry["load"])
        if result is None or entry is None:
            self.misses += 1
            return None
        self.hits += 1
        stat = _stat_key(st) if st is not None else None
        if entry.get("stat") != stat:  # touched, or racy: remember the stat seen now
            entry = {**entry, "stat": stat}
        self._new[rel] = entry
        self._dirty[_shard(rel)] = True  # its stat, or when it was checked (racy), changed
        return result

    def _decode(self, rel: str, load: dict[str, Any]) -> LoadedFiles | None:
        """A snapshot's record of one file; None when it is not what this version writes
        (a foreign or damaged snapshot is a miss, never a crash)."""
        try:
            resources = []
            for row in load["resources"]:
                rid, kind, name, ns, file, line, end, fmt, body, facts, lines, digest = row
                if not (
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
                    and isinstance(digest, str)
                ):
                    return None
                resource = Resource.from_row(row[:-1])
                self._digests[id(resource)] = (resource, digest)
                resources.append(resource)
            return LoadedFiles(
                resources=resources,
                errors=[LoadError.model_validate(e) for e in load["errors"]],
                inputs=[InputRef.model_validate(i) for i in load["inputs"]],
                skipped=[{str(k): str(v) for k, v in item.items()} for item in load["skipped"]],
                secrets={str(r): {str(v) for v in values} for r, values in load["secrets"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
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
        rows = []
        for r in result.resources:
            digest = resource_digest(r)
            self._digests[id(r)] = (r, digest)
            rows.append([*r.to_row(), digest])
        self._new[rel] = {
            "kind": kind,
            "explicit": explicit,
            "stat": _stat_key(st) if st is not None else None,
            "sha256": hashlib.sha256(data).hexdigest(),
            "load": {
                "resources": rows,
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
        self._dirty[_shard(rel)] = True

    def finish(self) -> None:
        """Write the shards of the snapshot whose files differ from the last run's."""
        old = self._snapshot()
        old_keys: list[set[str]] = [set() for _ in range(SHARDS)]
        new_files: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
        for rel in old:
            old_keys[_shard(rel)].add(rel)
        for rel, entry in self._new.items():
            new_files[_shard(rel)][rel] = entry
        for shard in range(SHARDS):
            if not self._dirty[shard] and old_keys[shard] == set(new_files[shard]):
                continue
            snapshot = {
                "format": FORMAT,
                "version": __version__,
                "options": self.options_key,
                "started_ns": self._started_ns,
                "files": new_files[shard],
            }
            try:
                data = orjson.dumps(snapshot)
            except (TypeError, orjson.JSONEncodeError):
                continue  # a value JSON cannot hold: that shard stays cold, only slower
            self._write(self.snapshot_path(shard), data)

    def digest(self, resource: Resource) -> str:
        """The content digest of ``resource`` (what the engine sees of it): from the
        snapshot or the load that produced it, else computed."""
        known = self._digests.get(id(resource))
        if known is not None and known[0] is resource:
            return known[1]
        return resource_digest(resource)

    # results ------------------------------------------------------------------------------

    def results(self) -> ResultCache:
        return ResultCache(self)


_FORMATS = frozenset(get_args(Format))
SHARDS = 16
"""The snapshot is split by path so that one changed file rewrites a sixteenth of it."""


def _shard(rel: str) -> int:
    return zlib.crc32(rel.encode()) % SHARDS


def resource_digest(resource: Resource) -> str:
    return hashlib.blake2b(orjson.dumps(resource.engine_input())).hexdigest()


def family_of_module(source: str) -> str | None:
    match = _PACKAGE.search(source)
    if match and match.group(1).startswith(_CHECKS_PREFIX):
        return match.group(1)[len(_CHECKS_PREFIX) :]
    return None


class ResultCache:
    """Per check family violations (see the module docstring); plugs into
    ``Evaluator.result_cache``."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.evaluated_families: list[str] = []
        """Families the run (every parameter set) evaluated in the engine (for tests)."""
        self.evaluated_partitions: set[int] = set()
        """Namespace partitions (by index) the run evaluated in the engine."""

    def violations(
        self,
        evaluator: Evaluator,
        resources: Sequence[Resource],
        params: dict[str, Any],
        now: datetime,
    ) -> Any:
        from compliance.evaluate import kinds_read

        present = {r.kind for r in resources}
        read = kinds_read(evaluator.modules, evaluator.library, present)
        families = self._families(evaluator)
        if families is None:  # pack-specific Rego: no per-family split, evaluate everything
            self.evaluated_families = ["*"]
            return evaluator.query(resources, params, now, read)
        from compliance.parallel import merge_violations, run_queries, split_for

        family_of_check, family_kinds = families
        plan = family_plan(evaluator)
        assert plan is not None
        digest_of: dict[int, str] = {
            id(r): self.cache.digest(r) for r in resources if r.kind in read
        }
        base = _digest(
            FORMAT,
            __version__,
            evaluator.engine.name,
            evaluator.engine.version(),
            orjson.dumps(sorted(p.digest or "" for p in evaluator.packs)),
            orjson.dumps(sorted(evaluator.modules.items())),  # beyond the digests: every module
            str(int(now.timestamp())),
        )
        # The parameters a family may read: those its module or the shared ones name (all
        # of them for a family that reads one by a computed name).
        family_params = {
            family: orjson.dumps(
                params
                if family in plan.dynamic_params
                else {k: v for k, v in params.items() if k in plan.family_words[family]},
                option=orjson.OPT_SORT_KEYS,
            )
            for family in family_kinds
        }
        family_read = {family: plan.kinds_of([family], read) for family in family_kinds}

        # Keys per (partition, family): the partition's resources of the kinds the family
        # may read, in input order. A file changed in one namespace misses in one partition.
        parts = split_for(evaluator.engine, resources, evaluator.workers)
        out: list[Any] = []
        keys: dict[tuple[int, str], str] = {}
        missing: dict[int, list[str]] = {}
        for index, part in enumerate(parts):
            # The engine input groups resources by kind (input order within a kind): a
            # digest per kind of the partition's resources, and per family those of the
            # kinds it may read.
            by_kind: dict[str, list[str]] = {}
            for r in part:
                if r.kind in read:
                    by_kind.setdefault(r.kind, []).append(f"{r.id}\x1f{digest_of[id(r)]}")
            kind_digest = {k: _digest(k, "\x1e".join(v)) for k, v in by_kind.items()}
            for family in sorted(family_kinds):
                material = sorted((k, kind_digest[k]) for k in family_read[family] & by_kind.keys())
                key = _digest(base, family, family_params[family], orjson.dumps(material))
                hit = self.cache._get("results", key)
                if isinstance(hit, list):
                    out.append(hit)
                else:
                    keys[(index, family)] = key
                    missing.setdefault(index, []).append(family)
        self.evaluated_families = sorted(set(self.evaluated_families).union(*missing.values()))
        self.evaluated_partitions |= set(missing)
        if not missing:
            return merge_violations(out)
        tasks = [
            (family_query(fams), parts[index], plan.kinds_of(fams, read))
            for index, fams in missing.items()
        ]
        results = run_queries(evaluator.engine, tasks, params, now, evaluator.workers)
        for (index, fams), fresh in zip(missing.items(), results, strict=True):
            by_family: dict[str, list[Any]] = {f: [] for f in fams}
            for v in fresh or []:
                owner = family_of_check.get(str(v.get("check"))) if isinstance(v, dict) else None
                if owner is not None and owner in by_family:
                    by_family[owner].append(v)
                else:
                    out.append([v])  # malformed: the evaluator reports it, never cache it
            for family in fams:
                self.cache._put("results", keys[(index, family)], by_family[family])
                out.append(by_family[family])
        return merge_violations(out)

    def _families(self, evaluator: Evaluator) -> tuple[dict[str, str], dict[str, set[str]]] | None:
        """check id -> family, family -> kinds it may read; None when a pack has its own Rego."""
        plan = family_plan(evaluator)
        return None if plan is None else (plan.family_of_check, plan.family_kinds)


@dataclass(frozen=True)
class FamilyPlan:
    """What each check family (``compliance.checks.<family>``) may read, conservatively."""

    family_of_check: dict[str, str]
    family_kinds: dict[str, set[str]]
    """Kinds a family may read: its checks' METADATA kinds plus every word of its module
    and of the shared modules."""
    family_words: dict[str, set[str]]
    """Every word of a family's module and of the shared modules (parameter names too)."""
    dynamic_params: set[str]
    """Families that read parameters by a computed name (any parameter change concerns them)."""
    generic_kinds: dict[str, set[str] | None]
    """Families that iterate ``input.kinds``: the kind-name prefixes they filter on, or None
    for every kind (see ``kind_prefixes``)."""

    def kinds_of(self, families: Iterable[str], present: Iterable[str]) -> set[str]:
        """The kinds of ``present`` that any of ``families`` may read."""
        present = set(present)
        out: set[str] = set()
        for family in families:
            out |= self.family_kinds.get(family, set()) & present
            if family in self.generic_kinds:
                prefixes = self.generic_kinds[family]
                if prefixes is None:
                    return present
                out.update(k for k in present if k.startswith(tuple(prefixes)))
        return out


_PLANS: weakref.WeakKeyDictionary[Any, FamilyPlan | None] = weakref.WeakKeyDictionary()
_LITERAL_PARAM = re.compile(r"""\bparam\(\s*"[^"]*"\s*,""")
_ANY_PARAM = re.compile(r"\bparam\(|input\.params")
_PARAM_DEFINITION = re.compile(r"^param\(.*$", re.MULTILINE)
_COMMENT_LINE = re.compile(r"^\s*#.*$", re.MULTILINE)


def family_plan(evaluator: Evaluator) -> FamilyPlan | None:
    """The evaluator's families (memoised: its modules never change); None when a pack has
    its own Rego or a check lives outside ``compliance.checks.*`` (no safe split)."""
    if evaluator in _PLANS:
        return _PLANS[evaluator]
    plan = _family_plan(evaluator)
    _PLANS[evaluator] = plan
    return plan


def _family_plan(evaluator: Evaluator) -> FamilyPlan | None:
    if any(p.modules for p in evaluator.packs):
        return None
    family_of_check: dict[str, str] = {}
    family_kinds: dict[str, set[str]] = {}
    shared_words: set[str] = set()
    family_words: dict[str, set[str]] = {}
    dynamic: set[str] = set()
    shared_dynamic = False
    generic: dict[str, set[str] | None] = {}
    for source in evaluator.modules.values():
        family = family_of_module(source)
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
        words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", source))
        if family is None:
            shared_words |= words
            body = _PARAM_DEFINITION.sub("", _COMMENT_LINE.sub("", source))
            if len(_ANY_PARAM.findall(body)) != len(_LITERAL_PARAM.findall(body)):
                shared_dynamic = True
        else:
            family_words.setdefault(family, set()).update(words)
            code = _COMMENT_LINE.sub("", source)
            if len(_ANY_PARAM.findall(code)) != len(_LITERAL_PARAM.findall(code)):
                dynamic.add(family)
    for meta in evaluator.library.checks.values():
        family = family_of_module(evaluator.library.modules.get(meta.module, ""))
        if family is None:
            return None  # a check outside compliance.checks.*: no safe split
        family_of_check[meta.id] = family
        family_kinds.setdefault(family, set()).update(meta.kinds)
    shared_sources = [src for src in evaluator.modules.values() if family_of_module(src) is None]
    for family, words in family_words.items():
        # conservative: any kind named anywhere the family (or lib.rego) could read it
        family_kinds.setdefault(family, set()).update(words | shared_words)
        family_words[family] = words | shared_words
    for family in family_words:
        sources = [src for src in evaluator.modules.values() if family_of_module(src) == family]
        for source in sources + shared_sources:
            prefixes = kind_prefixes(source)
            known = generic.get(family, set())
            if prefixes is None:
                generic[family] = None
            elif prefixes and known is not None:
                generic[family] = known | prefixes
    if shared_dynamic:
        dynamic = set(family_words)
    return FamilyPlan(family_of_check, family_kinds, family_words, dynamic, generic)


_KIND_ACCESSOR = re.compile(r"object\.get\(\s*input\.kinds\s*,\s*kind\s*,\s*\[\]\s*\)")
_STARTSWITH = re.compile(r"""startswith\(\s*[A-Za-z_][\w.]*\s*,\s*"([^"]+)"\s*\)""")


def kind_prefixes(source: str) -> set[str] | None:
    """How a module reads ``input.kinds`` besides by a kind's name: ``set()`` when it does
    not; the ``startswith(kind, "...")`` prefixes that filter a generic iteration (LOG-01
    reads every ``aws_`` kind); None when it iterates with no such filter (every kind)."""
    code = _KIND_ACCESSOR.sub("", _COMMENT_LINE.sub("", source))
    if "input.kinds" not in code:
        return set()
    prefixes = set(_STARTSWITH.findall(code))
    return prefixes or None


def kinds_by_prefix(sources: Iterable[str], present: Iterable[str]) -> set[str] | None:
    """The kinds of ``present`` that modules read through a generic iteration (None: all)."""
    out: set[str] = set()
    kinds = list(present)
    for source in sources:
        prefixes = kind_prefixes(source)
        if prefixes is None:
            return None
        out.update(k for k in kinds if k.startswith(tuple(prefixes)))
    return out


def family_query(families: Sequence[str]) -> str:
    """One query for the union of some families' violations (what main.violations unites)."""
    members = ", ".join(f"data.{_CHECKS_PREFIX}{f}.violations" for f in sorted(families))
    return f"union({{{members}}})"
