"""The Evaluator: resources x packs -> Report. No I/O, no printing."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from compliance.assess import Assessor, members, with_unique_ids
from compliance.engine.base import VIOLATIONS_QUERY, Engine
from compliance.errors import EngineError
from compliance.evaluation.report import (
    ReportBuilder,
    Row,
    RunFacts,
    Seed,
    Waive,
    controls_by_check,
    fingerprint,
)
from compliance.model import LoadError, Pack, Resource
from compliance.model.report import SEVERITIES, InputRef, Report
from compliance.policy.packs import CheckLibrary, effective_parameters
from compliance.timestamps import rfc3339

__all__ = [
    "Evaluator",
    "GroupOutcome",
    "ParamGroup",
    "Row",
    "RunFacts",
    "Seed",
    "Waive",
    "controls_by_check",
    "engine_input",
    "fingerprint",
    "kinds_read",
    "seeds_of",
]


def engine_input(
    resources: Sequence[Resource],
    params: dict[str, Any],
    now: datetime,
    only_kinds: Collection[str] | None = None,
) -> dict[str, Any]:
    """The document checks read: resources grouped by kind, parameters and the run's time.
    With ``only_kinds``, resources of other kinds are left out (no check reads them).
    ``shaped`` lists every resource holding a known credential shape, whatever its kind
    (id, kind, name, file and ``facts.secret_shapes`` only): SEC-03 reads it, so no kind
    is sent whole for it."""
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shaped: list[dict[str, Any]] = []
    for r in resources:
        if only_kinds is None or r.kind in only_kinds:
            kinds[r.kind].append(r.engine_input())
        if r.facts.get("secret_shapes"):
            shaped.append(r.shapes_input())
    return {
        "kinds": dict(kinds),
        "shaped": shaped,
        "params": params,
        "now": rfc3339(now),
        "now_ns": int(now.timestamp()) * 1_000_000_000,
    }


@dataclass(frozen=True)
class ParamGroup:
    key: bytes
    """The effective parameters as sorted JSON."""
    params: dict[str, Any]
    packs: list[Pack]


@dataclass(frozen=True)
class GroupOutcome:
    group: ParamGroup
    seeds: list[Seed] | None
    """None when the group's engine query failed (its packs' controls are ``error``)."""

    @property
    def packs(self) -> list[Pack]:
        return self.group.packs


def failed_packs(outcomes: Sequence[GroupOutcome]) -> set[str]:
    return {p.name for o in outcomes if o.seeds is None for p in o.group.packs}


def seed(v: dict[str, Any], resource: Resource) -> Seed:
    line = v.get("line")
    path = v.get("path")
    return {
        "check": v["check"],
        "severity": v.get("severity"),
        "message": v["message"],
        "path": path,
        "file": resource.source.file,
        "line": line if type(line) is int else resource.line_for(path),
        "resource": {
            "id": resource.id,
            "kind": resource.kind,
            "name": resource.name,
            "namespace": resource.namespace,
        },
    }


def seeds_of(
    violations: Any, library: CheckLibrary, by_id: dict[str, Resource]
) -> tuple[list[Seed], list[str]]:
    """The engine's violations as seeds, and a message for each malformed one."""
    seeds: list[Seed] = []
    problems: list[str] = []
    for v in violations or []:
        problem = _invalid_violation(v, library, by_id)
        if problem:
            problems.append(problem)
        else:
            seeds.append(seed(v, by_id[v["resource"]]))
    return seeds, problems


def engine_error(e: EngineError, engine: str) -> LoadError:
    return LoadError(file=e.file or f"engine:{engine}", line=e.line, message=e.message)


class Evaluator:
    """Loads the check library and the packs into ``engine`` once; evaluates runs on it."""

    def __init__(self, engine: Engine, library: CheckLibrary, packs: Sequence[Pack]) -> None:
        self.engine = engine
        self.library = library
        self.packs = list(packs)
        modules = dict(library.modules)
        for pack in self.packs:
            modules.update(pack.modules)
        engine.load(modules)
        self.modules = modules
        self.assessor = Assessor(library.checks, {c for p in self.packs for c in p.check_ids()})
        self.reports = ReportBuilder(
            engine,
            library,
            self.packs,
            self.assessor,
            lambda kind: bool(kinds_read(modules, library, {kind})),
        )
        """Builds this evaluator's reports (also from the result cache's rows)."""
        self.workers = 1
        """Processes a large run's engine query may be split over (compliance.evaluation.executor)."""

    def violations(
        self, resources: Sequence[Resource], params: dict[str, Any], now: datetime
    ) -> Any:
        """Every violation over ``resources``, from the engine."""
        kinds = kinds_read(self.modules, self.library, {r.kind for r in resources})
        return self.query(resources, params, now, kinds)

    def query(
        self,
        resources: Sequence[Resource],
        params: dict[str, Any],
        now: datetime,
        kinds: Collection[str] | None,
    ) -> Any:
        """The engine's violations over ``resources`` (``kinds`` only), split by namespace
        over ``self.workers`` processes when large; the same list either way."""
        from compliance.evaluation.executor import evaluator_query

        return evaluator_query(self, VIOLATIONS_QUERY, resources, params, now, kinds)

    def param_groups(self, parameters: dict[str, Any] | None) -> list[ParamGroup]:
        """One entry per distinct effective parameter set (usually one for all packs):
        the run makes one engine query per entry."""
        overrides = parameters or {}
        groups: dict[bytes, list[Pack]] = defaultdict(list)
        for pack in self.packs:
            effective = effective_parameters(pack, overrides)
            groups[orjson.dumps(effective, option=orjson.OPT_SORT_KEYS)].append(pack)
        return [ParamGroup(key, orjson.loads(key), group) for key, group in groups.items()]

    def evaluate(
        self,
        resources: Sequence[Resource],
        *,
        now: datetime | None = None,
        parameters: dict[str, Any] | None = None,
        load_errors: Sequence[LoadError] = (),
        inputs: Sequence[InputRef] = (),
        skipped: Sequence[dict[str, str]] = (),
        waive: Waive | None = None,
        exclusions: Mapping[str, str] | None = None,
        notices: Sequence[dict[str, str]] = (),
    ) -> Report:
        """The report over ``resources``; objects that share an id get ids of their own
        (``with_unique_ids``). ``exclusions``: ``pack:control`` -> reason, the controls
        scoped out (``not_applicable``)."""
        now = now or datetime.now(UTC)
        resources, duplicates = with_unique_ids(resources)
        by_id = {r.id: r for r in resources}
        errors = list(load_errors)
        outcomes: list[GroupOutcome] = []
        for group in self.param_groups(parameters):
            try:
                violations = self.violations(resources, group.params, now)
            except EngineError as e:
                errors.append(engine_error(e, self.engine.name))
                outcomes.append(GroupOutcome(group, None))
                continue
            seeds, problems = seeds_of(violations, self.library, by_id)
            errors.extend(LoadError(file="policies", message=p) for p in problems)
            outcomes.append(GroupOutcome(group, seeds))
        facts = RunFacts(
            now=now,
            population=members(resources, self.assessor),
            duplicates=duplicates,
            parameters=parameters,
            errors=errors,
            inputs=inputs,
            skipped=skipped,
            failed_packs=failed_packs(outcomes),
            exclusions=exclusions or {},
            notices=notices,
        )
        return self.reports.report(self.reports.rows(outcomes), facts, waive)


def kinds_read(
    modules: dict[str, str], library: CheckLibrary, present: Collection[str]
) -> set[str]:
    """The kinds in ``present`` that a check may read: every kind a check lists in its
    METADATA, and (conservatively) every kind whose name appears as a word in any module."""
    listed = {k for meta in library.checks.values() for k in meta.kinds}
    sources = tuple(modules.values())
    words = _module_words(sources)
    from compliance.policy.analysis import generic_prefixes  # LOG-01 reads every aws_ kind

    prefixes = generic_prefixes(sources)
    if prefixes is None:
        return set(present)
    return {k for k in present if k in listed or k in words or k.startswith(tuple(prefixes))}


@functools.lru_cache(maxsize=16)
def _module_words(sources: tuple[str, ...]) -> frozenset[str]:
    words: set[str] = set()
    for source in sources:
        found = set(_WORD.findall(source))
        words |= found
        for word in found:
            if "." in word:
                words.update(word.split("."))
    return frozenset(words)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _invalid_violation(v: Any, library: CheckLibrary, by_id: dict[str, Resource]) -> str | None:
    if not isinstance(v, dict):
        return f"a check returned a non-object violation: {v!r}"
    check = v.get("check")
    if check not in library.checks:
        return f"violation names unknown check {check!r}"
    if v.get("resource") not in by_id:
        return f"{check}: violation names unknown resource {v.get('resource')!r}"
    if not isinstance(v.get("message"), str):
        return f"{check}: violation without a message"
    if v.get("path") is not None and not isinstance(v.get("path"), str):
        return f"{check}: violation path is not a string: {v.get('path')!r}"
    sev = v.get("severity")
    if sev is not None and sev not in SEVERITIES:
        return f"{check}: invalid severity {sev!r}"
    return None
