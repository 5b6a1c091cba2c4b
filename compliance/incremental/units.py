"""The result units of a cached run (see compliance.incremental.cache) and the analysis of
the checks' Rego they follow, kept in ``analysis.json``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from compliance import __version__
from compliance.assess import Member, unique_ids
from compliance.incremental import code
from compliance.incremental.cache import Cache, CacheMiss
from compliance.incremental.store import (
    FORMAT,
    M_ASSESSED,
    M_DIGEST,
    M_FORMAT,
    M_GROUP,
    M_ID,
    M_KIND,
    M_LINE,
    M_NAME,
    M_NS,
    digest,
    seal,
    unseal,
)
from compliance.model import Resource
from compliance.policy.analysis import FamilyPlan

if TYPE_CHECKING:
    from compliance.evaluation.evaluator import Evaluator, ParamGroup

LARGE_GROUP = 500
"""A group of more resources than this (one namespace of a monorepo) keeps the findings of
its ``resource`` checks per file (``group:<group>|<file>`` units): an edit re-evaluates
those checks over that file, and only the ``namespace`` checks over the whole group."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A result unit: the ``resource`` and ``namespace`` checks of one group (``group``),
    of one file of a ``LARGE_GROUP`` (``file``: its ``resource`` checks only), or the
    ``global`` checks (``group`` None); ``now``: those of them that read the time."""

    group: str | None
    file: str | None = None
    now: bool = False

    @property
    def name(self) -> str:
        """The unit's name in the index and in its key: ``global``, ``group:<group>``,
        ``group:<group>|<file>``, with ``@now`` after it for the time checks."""
        base = "global" if self.group is None else f"group:{self.group}"
        if self.file is not None:
            base = f"{base}|{self.file}"
        return f"{base}@now" if self.now else base


GLOBAL = Unit(None)
GLOBAL_NOW = Unit(None, now=True)


class Units:
    """The result units of a run and the resources (positions in ``metas``) each depends
    on: per group the ``resource``/``namespace`` checks (per file for the ``resource``
    checks of a ``LARGE_GROUP``), the ``global`` checks, and "@now" units for the checks
    that read the time."""

    def __init__(self, evaluator: Evaluator, cache: Cache) -> None:
        assess(evaluator, cache)
        files = cache.entries
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
        found = stored_analysis(cache, evaluator, self.present)
        self.cacheable = found.cacheable
        self.scope = scopes(evaluator, found.cacheable)
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
        members: dict[Unit, list[int]] = {GLOBAL: []}
        in_global = members[GLOBAL]
        in_global_now: list[int] = []
        in_group: dict[str, list[int]] = {}
        in_group_now: dict[str, list[int]] = {}
        for i, (rid, kind, _name, _ns, group, *_rest) in enumerate(metas):
            last[rid] = i
            own = in_group.get(group)
            if own is None:
                own = in_group[group] = members[Unit(group)] = []
            own.append(i)
            if kind in time_kinds:
                own = in_group_now.get(group)
                if own is None:
                    own = in_group_now[group] = members[Unit(group, now=True)] = []
                own.append(i)
            if kind in global_kinds:
                in_global.append(i)
                if global_timed:
                    in_global_now.append(i)
        if global_timed and in_global_now:
            members[GLOBAL_NOW] = in_global_now
        self.large = (
            {group for group, own in in_group.items() if len(own) > LARGE_GROUP}
            if found.cacheable and evaluator.engine.name == "embedded"
            else set()
        )
        """The groups whose ``resource`` checks have a unit per file (the in-process engine
        only: a large group's namespace checks are asked for by their families' query)."""
        for group in sorted(self.large):
            for i in in_group[group]:
                members.setdefault(Unit(group, rel_at[i]), []).append(i)
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

    def unit_of(self, check: str, rid: str) -> Unit:
        """The unit a finding of ``check`` on resource ``rid`` belongs to."""
        scope = self.scope.get(check, "global")
        if scope not in ("resource", "namespace"):
            return GLOBAL_NOW if check in self.time_checks else GLOBAL
        at = self.last[rid]
        group = self.metas[at][M_GROUP]
        if check in self.time_checks:
            return Unit(group, now=True)
        if scope == "resource" and group in self.large:
            return Unit(group, self.rel_at[at])
        return Unit(group)

    def large_unit(self, unit: Unit) -> bool:
        """Whether ``unit`` holds the ``namespace`` checks of a ``LARGE_GROUP`` only."""
        return unit.group in self.large and unit.file is None and not unit.now

    def unexpected(self, check: str, kind: str) -> bool:
        """A global or time check reporting on a kind the analysis of its rules did not
        see: its unit's key would miss changes to such resources."""
        return (check in self.time_checks and kind not in self.time_kinds) or (
            self.scope.get(check, "global") == "global" and kind not in self.global_kinds
        )

    def keys(
        self, evaluator: Evaluator, groups: Sequence[ParamGroup], now: datetime
    ) -> dict[Unit, str]:
        """Each unit's key: everything its rows depend on (see the module docstring)."""
        metas = self.metas
        token = [f"{m[M_ID]}\x1f{m[M_DIGEST]}".encode() for m in metas]
        base = digest(
            rules_digest(evaluator),
            evaluator.engine.name,
            evaluator.engine.version(),
            *sorted(g.key for g in groups),
        )
        moment = str(int(now.timestamp()))
        # a large group's unit holds its namespace checks only: never the rows of the same
        # group's unit when it held every check (another LARGE_GROUP, the same resources)
        return {
            unit: hashlib.blake2b(
                f"{base}\x1f{unit.name}\x1f{moment if unit.now else ''}\x1f"
                f"{'namespace checks' if self.large_unit(unit) else ''}\x1f".encode()
                + b"\x1e".join([token[i] for i in members])
            ).hexdigest()
            for unit, members in self.members.items()
        }

    def files_of(self, units: Iterable[Unit]) -> list[str]:
        """The files (in input order) of every resource ``units`` depend on."""
        needed = {i for u in units for i in self.members[u]}
        return list(dict.fromkeys(self.rel_at[i] for i in sorted(needed)))


def assess(evaluator: Evaluator, cache: Cache) -> None:
    """Record in each file's entry the checks that assess each of its resources, where
    they are not known for the run's checks (a file parsed now, or other METADATA): from
    the resources parsed now or their bodies."""
    key = evaluator.assessor.key
    files = cache.entries
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
    assesses = evaluator.assessor.assesses
    for rel in stale:
        entry = files[rel]
        metas = [
            [*m[:M_ASSESSED], list(assesses(r))]
            for m, r in zip(entry["resources"], bodies[rel], strict=True)
        ]
        cache.record_assessed(rel, key, metas)


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
        plan = None if data["plan"] is None else FamilyPlan.from_data(data["plan"])
        sets = {name: frozenset(data[name]) for name in _KIND_SETS}
        return cls(plan=plan, **sets)


_KIND_SETS = ("read", "global_kinds", "time_checks", "time_kinds")


def analyse(evaluator: Evaluator, present: set[str]) -> Analysis:
    """The analysis of the evaluator's Rego (``compliance.policy.analysis``) for a run over the
    kinds ``present``: every module's text is read (~40 ms for the bundled checks)."""
    rego = evaluator.analysis
    plan = rego.plan
    scope = scopes(evaluator, plan is not None)
    read = rego.kinds_read(present)
    global_checks = [c for c, s in scope.items() if s == "global"]
    time_checks = rego.time_checks() if plan is not None else set(scope)
    return Analysis(
        plan=plan,
        read=frozenset(read),
        global_kinds=frozenset(rego.kinds_of_checks(global_checks, read)),
        time_checks=frozenset(time_checks),
        time_kinds=frozenset(rego.kinds_of_checks(sorted(time_checks), read)),
    )


def stored_analysis(cache: Cache, evaluator: Evaluator, present: set[str]) -> Analysis:
    """``analyse(evaluator, present)``: the last run's when the code, the Rego, the packs
    and the kinds present are the same (``analysis.json``, sealed, rewritten on a change).
    The evaluator adopts its families (a query over two parameter sets needs them too)."""
    key = digest(rules_digest(evaluator), *sorted(present))
    path = cache.root / "analysis.json"
    try:
        data = unseal(path.read_bytes())
    except OSError:
        data = None
    if isinstance(data, dict) and data.get("key") == key:
        try:
            found = Analysis.from_data(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # sealed by a build of another layout: analysed again
        else:
            evaluator.analysis.adopt(found.plan)
            return found
    found = analyse(evaluator, present)
    cache.write(path, seal(orjson.dumps({"key": key, **found.to_data()})))
    return found


def scopes(evaluator: Evaluator, cacheable: bool) -> dict[str, str]:
    """Each check's declared scope; every check ``global`` when families cannot be told
    apart (nothing is reused then)."""
    if not cacheable:
        return dict.fromkeys(evaluator.library.checks, "global")
    return {c: meta.scope for c, meta in evaluator.library.checks.items()}


def rules_digest(evaluator: Evaluator) -> str:
    """Everything the analysis of the checks reads, and part of every unit's key: the
    format, the tool version, the package's own code and the policy (``Evaluator.digest``:
    every Rego module, each check's module, kinds and scope, the packs)."""
    return digest(FORMAT, __version__, code.code_digest(), evaluator.digest)
