"""The one evaluation loop: engine queries over parameter groups, planned and run.

A run is one or more ``Part``s (a set of resources, the kinds sent, and every check or
only some families) evaluated for each parameter group of the packs. The cold path asks
one part (``Evaluator.evaluate``); the result cache asks the parts its missing units need
(compliance.incremental). For each part, ``PartQuery`` plans each query:

- whole: one engine query of every check;
- split: over the process pool by namespace, as the checks' scopes allow
  (compliance.evaluation.executor), when the part is large;
- changed families: for a second parameter group, only the families whose Rego names a
  parameter that differs are asked again, the others' violations kept;
- families: a part limited to some families (a large group's ``namespace`` checks,
  ``namespace_part``) asks their union only, over the kinds they read.

Engine errors, malformed violations and seeds (violations resolved against resources)
are handled here once."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import orjson

from compliance.engine.base import VIOLATIONS_QUERY, Engine
from compliance.errors import EngineError
from compliance.evaluation.executor import (
    Scoped,
    Split,
    engine_input,
    merge_disjoint,
    partition_count,
    partitioned_query,
    run_splits,
    scoped_for,
    scoped_layout,
    split_query,
    splits,
    takes_fragments,
)
from compliance.evaluation.isolate import unevaluable, unevaluable_errors
from compliance.evaluation.report import Seed as Seed
from compliance.model import LoadError, Pack, Resource
from compliance.model.report import SEVERITIES
from compliance.policy.analysis import FamilyPlan, RegoAnalysis, family_query
from compliance.policy.packs import CheckLibrary, effective_parameters


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


def param_groups(packs: Sequence[Pack], parameters: dict[str, Any] | None) -> list[ParamGroup]:
    """One entry per distinct effective parameter set (usually one for all packs): the run
    makes one engine query per entry and part."""
    overrides = parameters or {}
    groups: dict[bytes, list[Pack]] = defaultdict(list)
    for pack in packs:
        effective = effective_parameters(pack, overrides)
        groups[orjson.dumps(effective, option=orjson.OPT_SORT_KEYS)].append(pack)
    return [ParamGroup(key, orjson.loads(key), group) for key, group in groups.items()]


def failed_packs(outcomes: Sequence[GroupOutcome]) -> set[str]:
    return {p.name for o in outcomes if o.seeds is None for p in o.group.packs}


class Policy(Protocol):
    """A compiled policy: its engine (modules loaded), check library and Rego analysis
    (``compliance.evaluation.evaluator.Evaluator``)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def library(self) -> CheckLibrary: ...

    @property
    def analysis(self) -> RegoAnalysis: ...


@dataclass(frozen=True)
class Part:
    """One query of a run, asked for every parameter group."""

    resources: Sequence[Resource]
    kinds: frozenset[str] | None
    """The kinds sent to the engine (None: every kind)."""
    families: frozenset[str] | None = None
    """Only these check families (their union query, never split); None: every check."""
    keep: Callable[[Seed], bool] | None = None
    """Which of the part's seeds the caller wants (None: all); may raise to refuse one."""

    @property
    def query(self) -> str:
        """The query of every check the part asks: the main one, or its families' union."""
        return VIOLATIONS_QUERY if self.families is None else family_query(sorted(self.families))


def whole(
    policy: Policy,
    resources: Sequence[Resource],
    read: frozenset[str] | None = None,
    keep: Callable[[Seed], bool] | None = None,
) -> Part:
    """Every check over ``resources``, with the kinds a check may read (of ``read``, the
    kinds the analysis of the run found read, when given: the same set, each kind is
    judged on its own, without reading the modules' text)."""
    present = {r.kind for r in resources}
    kinds = read & present if read is not None else policy.analysis.kinds_read(present)
    return Part(resources, frozenset(kinds), keep=keep)


def namespace_part(
    policy: Policy,
    resources: Sequence[Resource],
    read: frozenset[str],
    keep: Callable[[Seed], bool] | None = None,
) -> Part:
    """The families that hold ``namespace`` checks over ``resources`` (a large group whose
    ``resource`` checks were asked of one file): their union query over the kinds of
    ``read`` they may read. Needs the families (``RegoAnalysis.plan``)."""
    plan = policy.analysis.plan
    if plan is None:
        raise ValueError("a families part needs check families")
    families = frozenset(
        plan.family_of_check[c]
        for c, meta in policy.library.checks.items()
        if meta.scope == "namespace"
    )
    kinds = frozenset(plan.kinds_of(families, {r.kind for r in resources}) & read)
    return Part(resources, kinds, families, keep)


@dataclass
class Evaluated:
    outcomes: list[GroupOutcome]
    """Per parameter group, the seeds of every part (None: an engine query failed)."""
    errors: list[LoadError] = field(default_factory=list)
    """Engine errors and malformed violations, in the order met."""
    clean: bool = True
    """No engine error and no malformed violation: the result may be kept."""
    set_aside: set[str] = field(default_factory=set)
    """The ids of resources the engine could not evaluate, left out of every later query
    (each is an error of its file)."""


def evaluate_parts(
    policy: Policy,
    groups: Sequence[ParamGroup],
    parts: Sequence[Part],
    now: datetime,
    workers: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> Evaluated:
    """Each parameter group's seeds over ``parts``: the one evaluation loop of the cold
    and the incremental path. A group whose query fails has no seeds (its packs' controls
    are ``error``) and an error naming the engine's message. ``meanwhile`` may be called
    while worker processes evaluate (``PartQuery.prefetch``), or not at all."""
    done = Evaluated([])
    parts = list(parts)
    queries = [PartQuery(policy, part, now, workers) for part in parts]
    for query in queries:
        query.prefetch([group.params for group in groups], meanwhile)
    by_id: list[dict[str, Resource] | None] = [None] * len(parts)
    known: list[dict[int, tuple[Any, Seed]]] = [{} for _ in parts]
    for group in groups:
        own: list[Seed] | None = []
        for i in range(len(parts)):
            try:
                violations = _answer(policy, parts, queries, i, group.params, now, workers, done)
            except EngineError as e:
                done.errors.append(engine_error(e, policy.engine.name))
                done.clean = False
                own = None
                break
            part = parts[i]
            ids = by_id[i]
            if ids is None:
                ids = by_id[i] = {r.id: r for r in part.resources}
            seeds, problems = seeds_of(violations, policy.library, ids, known[i])
            if problems:
                done.errors.extend(LoadError(file="policies", message=p) for p in problems)
                done.clean = False
            assert own is not None
            own.extend(seeds if part.keep is None else [s for s in seeds if part.keep(s)])
        done.outcomes.append(GroupOutcome(group, own))
    return done


def _answer(
    policy: Policy,
    parts: list[Part],
    queries: list[PartQuery],
    i: int,
    params: dict[str, Any],
    now: datetime,
    workers: int,
    done: Evaluated,
) -> Any:
    """Part ``i``'s violations for ``params``. When its query fails, the resources the
    engine cannot take (``isolate.unevaluable``) leave the part for this and later groups,
    each an error of its file and line, and the rest is asked again; raises the engine's
    error when there are none such (or the rest fails too)."""
    try:
        return queries[i](params)
    except EngineError:
        part = parts[i]
        found = unevaluable(
            policy.engine.evaluate, part.query, part.resources, params, now, part.kinds
        )
        if not found:
            raise
    done.errors.extend(unevaluable_errors(part.resources, found, policy.engine.name))
    done.clean = False
    done.set_aside.update(found)
    parts[i] = replace(part, resources=[r for r in part.resources if r.id not in found])
    queries[i] = PartQuery(policy, parts[i], now, workers)
    return queries[i](params)


class PartQuery:
    """The engine's violations over one part, asked once per parameter group: the
    second and later groups reuse the families no differing parameter concerns."""

    def __init__(self, policy: Policy, part: Part, now: datetime, workers: int = 1) -> None:
        self.policy = policy
        self.part = part
        self.now = now
        self.workers = workers
        self.splits = part.families is None and splits(policy.engine, len(part.resources), workers)
        self._scoped: Scoped | None = None
        self._last: tuple[dict[str, Any], Any] | None = None
        self._prefetched: dict[tuple[str, bytes, frozenset[str] | None], Any] = {}

    @functools.cached_property
    def _present(self) -> frozenset[str]:
        """The kinds of the part's resources."""
        return frozenset(r.kind for r in self.part.resources)

    def _scope(self) -> Scoped:
        """What the checks' scopes allow a split of this part (computed once)."""
        if self._scoped is None:
            self._scoped = scoped_for(self.policy.analysis, self._present)
        return self._scoped

    def _changed(
        self, plan: FamilyPlan, last: dict[str, Any], params: dict[str, Any]
    ) -> tuple[set[str], str, frozenset[str]] | None:
        """The part's families a parameter differing from ``last`` concerns, their union
        query and the kinds it reads of the part; None when no family is concerned."""
        affected = plan.affected(last, params)
        if self.part.families is not None:
            affected &= self.part.families
        if not affected:
            return None
        read = frozenset(plan.kinds_of(affected, self._present))
        kinds = read if self.part.kinds is None else read & self.part.kinds
        return affected, family_query(sorted(affected)), kinds

    def prefetch(
        self, groups: Sequence[dict[str, Any]], meanwhile: Callable[[], object] | None = None
    ) -> None:
        """Ask at once every split query that ``__call__`` will ask for these parameter
        groups in this order (the whole query for the first, the changed families for each
        later one): their tasks share one set of processes, and ``meanwhile`` is called
        while they run. A query the calls then ask differently (violations of unknown
        checks), or all of them after an engine error, are asked again as they come."""
        plan = self.policy.analysis.plan if self.splits else None
        if plan is None:
            return
        asks: list[tuple[str, dict[str, Any], frozenset[str] | None]] = []
        last: dict[str, Any] | None = None
        for params in groups:
            if last is None:
                asks.append((VIOLATIONS_QUERY, params, self.part.kinds))
            elif (changed := self._changed(plan, last, params)) is not None:
                asks.append((changed[1], params, changed[2]))
            last = params
        scoped = self._scope()
        layout = scoped_layout(self.part.resources, partition_count(self.workers), scoped)
        planned: list[tuple[tuple[str, bytes, frozenset[str] | None], Split]] = []
        for query, params, sent in asks:
            split = split_query(
                query, self.part.resources, params, sent, self.workers, scoped=scoped, layout=layout
            )
            if split is not None:
                planned.append((_ask_key(query, params, sent), split))
        try:
            answers = run_splits(
                self.policy.engine,
                [split for _, split in planned],
                self.now,
                self.workers,
                meanwhile,
            )
        except EngineError:
            return
        self._prefetched = {key: answer for (key, _), answer in zip(planned, answers, strict=True)}

    def __call__(self, params: dict[str, Any]) -> Any:
        part, last = self.part, self._last
        # the families are analysed (every module's text read) only where they serve: to
        # reuse the last group's violations, or to split by scope
        plan = self.policy.analysis.plan if last is not None or self.splits else None
        if plan is not None and last is not None and self._reusable(plan, last[1]):
            changed = self._changed(plan, last[0], params)
            if changed is None:
                result = last[1]
            else:
                affected, query, kinds = changed
                kept = [
                    v for v in last[1] or [] if plan.family_of_check[v["check"]] not in affected
                ]
                result = merge_disjoint(kept, self._ask(query, params, kinds, plan))
        else:
            result = self._ask(part.query, params, part.kinds, plan)
        self._last = (dict(params), result)
        return result

    def _reusable(self, plan: FamilyPlan, violations: Any) -> bool:
        """Whether the last group's violations can be kept by family: the in-process
        engine (other engines answer only the main query), every violation of a known
        family's check."""
        return self.policy.engine.name == "embedded" and all(
            isinstance(v, dict) and v.get("check") in plan.family_of_check for v in violations or []
        )

    def _ask(
        self,
        query: str,
        params: dict[str, Any],
        kinds: frozenset[str] | set[str] | None,
        plan: FamilyPlan | None,
    ) -> Any:
        engine, part = self.policy.engine, self.part
        if part.families is not None:
            document = engine_input(
                part.resources, params, self.now, kinds, fragments=takes_fragments(engine)
            )
            return engine.evaluate(query, document)
        key = _ask_key(query, params, kinds)
        if key in self._prefetched:
            return self._prefetched.pop(key)
        return partitioned_query(
            engine,
            query,
            part.resources,
            params,
            self.now,
            kinds,
            self.workers,
            scoped=self._scope() if self.splits and plan is not None else None,
        )


def _ask_key(
    query: str, params: dict[str, Any], kinds: Collection[str] | None
) -> tuple[str, bytes, frozenset[str] | None]:
    return (
        query,
        orjson.dumps(params, option=orjson.OPT_SORT_KEYS),
        None if kinds is None else frozenset(kinds),
    )


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
    violations: Any,
    library: CheckLibrary,
    by_id: dict[str, Resource],
    known: dict[int, tuple[Any, Seed]] | None = None,
) -> tuple[list[Seed], list[str]]:
    """The engine's violations as seeds, and a message for each malformed one.

    ``known``: the seeds of violations already seen over the same resources (a later
    parameter group keeps the violations of the families it did not ask again: the same
    objects), by ``id``; each seed made is added. Entries hold their violation, so no id
    is reused while it is there."""
    seeds: list[Seed] = []
    problems: list[str] = []
    for v in violations or []:
        if known is not None and (hit := known.get(id(v))) is not None and hit[0] is v:
            seeds.append(hit[1])
            continue
        problem = _invalid_violation(v, library, by_id)
        if problem:
            problems.append(problem)
            continue
        s = seed(v, by_id[v["resource"]])
        seeds.append(s)
        if known is not None:
            known[id(v)] = (v, s)
    return seeds, problems


def engine_error(e: EngineError, engine: str) -> LoadError:
    return LoadError(file=e.file or f"engine:{engine}", line=e.line, message=e.message)


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
