"""The query planner (compliance.evaluation.planner): the one evaluation loop the cold run
and the result cache share. Each plan (whole, families, changed families for a second
parameter group) gives what fresh whole queries give; engine errors are handled once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from compliance.engine.base import VIOLATIONS_QUERY, Engine
from compliance.errors import EngineError
from compliance.evaluation import executor
from compliance.evaluation.evaluator import Evaluator
from compliance.evaluation.executor import engine_input
from compliance.evaluation.planner import (
    Part,
    PartQuery,
    evaluate_parts,
    namespace_part,
    param_groups,
    seeds_of,
    whole,
)
from compliance.inputs import LoadOptions, load_paths
from compliance.model import Resource
from compliance.policy.analysis import RegoAnalysis
from compliance.policy.packs import CheckLibrary
from compliance.runner import RunOptions, build_evaluator

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)


class Recording:
    """The real engine, recording each query asked; raises for the parameter sets named in
    ``fail_when`` (an engine error as a broken module gives one)."""

    def __init__(self, engine: Engine, fail_when: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.name = engine.name
        self.asked: list[str] = []
        self.fail_when = fail_when

    def evaluate(self, query: str, document: dict[str, Any]) -> Any:
        self.asked.append(query)
        if document["params"] == self.fail_when:
            raise EngineError("planted failure", file="planted.rego", line=3)
        return self.engine.evaluate(query, document)


class Policy:
    """An Evaluator's engine swapped for a ``Recording`` one (the planner's ``Policy``)."""

    def __init__(self, evaluator: Evaluator, engine: Recording) -> None:
        self.engine = engine
        self.library: CheckLibrary = evaluator.library
        self.analysis: RegoAnalysis = evaluator.analysis


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return build_evaluator(RunOptions(now=NOW, load=LoadOptions(env={})))


@pytest.fixture(scope="module")
def resources() -> list[Resource]:
    paths = [str(ROOT / "examples" / "bpi"), str(ROOT / "tests" / "fixtures" / "monitoring")]
    return load_paths(paths, LoadOptions(env={})).resources


def fresh(evaluator: Evaluator, resources: list[Resource], params: dict[str, Any]) -> Any:
    kinds = evaluator.analysis.kinds_read({r.kind for r in resources})
    return evaluator.engine.evaluate(VIOLATIONS_QUERY, engine_input(resources, params, NOW, kinds))


def test_param_groups_share_one_query_per_distinct_parameter_set(evaluator: Evaluator) -> None:
    groups = param_groups(evaluator.packs, {})
    assert sum(len(g.packs) for g in groups) == len(evaluator.packs)
    assert 1 < len(groups) < len(evaluator.packs)  # gdpr differs; the others share one
    for group in groups:  # each pack's effective parameters, its group's
        for pack in group.packs:
            assert param_groups([pack], {})[0].params == group.params


def test_a_second_group_asks_only_the_families_a_differing_parameter_concerns(
    evaluator: Evaluator, resources: list[Resource]
) -> None:
    engine = Recording(evaluator.engine)
    policy = Policy(evaluator, engine)
    base = param_groups(evaluator.packs, {})[0].params
    changed = {**base, "log_retention_max_days": 1}
    assert base["log_retention_max_days"] != 1
    query = PartQuery(policy, whole(policy, resources), NOW)
    assert query(base) == fresh(evaluator, resources, base)
    assert engine.asked == [VIOLATIONS_QUERY]
    assert query(changed) == fresh(evaluator, resources, changed)
    plan = evaluator.analysis.plan
    assert plan is not None
    family = plan.family_of_check["LOG-03"]  # the one check reading log_retention_max_days
    assert engine.asked[1:] == [f"union({{data.compliance.checks.{family}.violations}})"]
    assert query(changed) == fresh(evaluator, resources, changed)
    assert len(engine.asked) == 2  # nothing differs: the last answer, no query


def test_a_families_part_asks_their_union_and_keeps_what_the_caller_wants(
    evaluator: Evaluator, resources: list[Resource]
) -> None:
    plan = evaluator.analysis.plan
    assert plan is not None
    net_01, net_02 = plan.family_of_check["NET-01"], plan.family_of_check["NET-02"]
    families = frozenset({net_01, net_02})
    kinds = frozenset(plan.kinds_of(families, {r.kind for r in resources}))
    engine = Recording(evaluator.engine)
    policy = Policy(evaluator, engine)
    groups = param_groups(evaluator.packs, {})
    by_id = {r.id: r for r in resources}
    parts = [
        Part(resources, kinds, families, keep=lambda s: s["check"] != "NET-01"),
    ]
    done = evaluate_parts(policy, groups, parts, NOW)
    assert done.clean and not done.errors
    union = ", ".join(f"data.compliance.checks.{f}.violations" for f in sorted(families))
    assert engine.asked[0] == f"union({{{union}}})"
    for outcome in done.outcomes:
        expected, _ = seeds_of(
            fresh(evaluator, resources, outcome.group.params), evaluator.library, by_id
        )
        wanted = [
            s
            for s in expected
            if plan.family_of_check[s["check"]] in families and s["check"] != "NET-01"
        ]
        assert wanted, "the corpus must have NET-02 findings for this test to mean anything"
        assert outcome.seeds == wanted


@pytest.mark.parametrize("workers", [1, 2])
def test_an_engine_error_fails_its_group_only(
    evaluator: Evaluator,
    resources: list[Resource],
    workers: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In one process, and split over two (where the failure in a worker makes the
    queries asked at once be asked again one group at a time)."""
    monkeypatch.setattr(executor, "PARTITION_MIN_RESOURCES", 0)
    groups = param_groups(evaluator.packs, {})
    failing = groups[1].params
    policy = Policy(evaluator, Recording(evaluator.engine, fail_when=failing))
    done = evaluate_parts(policy, groups, [whole(policy, resources)], NOW, workers)
    assert not done.clean
    assert [(e.file, e.line, e.message) for e in done.errors] == [
        ("planted.rego", 3, "planted failure")
    ]
    assert done.outcomes[1].seeds is None
    assert done.outcomes[0].seeds and done.outcomes[0].group == groups[0]


def test_the_cold_path_is_the_planner(evaluator: Evaluator, resources: list[Resource]) -> None:
    """``Evaluator.evaluate`` reports what ``evaluate_parts`` finds over one whole part."""
    report = evaluator.evaluate(resources, now=NOW)
    groups = param_groups(evaluator.packs, {})
    done = evaluate_parts(evaluator, groups, [whole(evaluator, resources)], NOW)
    found = {(s["check"], s["resource"]["id"]) for o in done.outcomes for s in o.seeds or []}
    assert found == {(f.check_id, f.resource.id) for f in report.findings}


def test_a_namespace_part_asks_the_families_of_the_namespace_checks(
    evaluator: Evaluator, resources: list[Resource]
) -> None:
    """A large group's namespace checks: the union of their families, over the kinds of
    the run's analysis those families read; ``whole`` with that analysis sends what
    reading the modules gives."""
    present = {r.kind for r in resources}
    read = frozenset(evaluator.analysis.kinds_read(present))
    assert whole(evaluator, resources, read) == whole(evaluator, resources)
    part = namespace_part(evaluator, resources, read)
    plan = evaluator.analysis.plan
    assert plan is not None and part.families is not None and part.kinds is not None
    namespaced = {c for c, m in evaluator.library.checks.items() if m.scope == "namespace"}
    assert namespaced and part.families == {plan.family_of_check[c] for c in namespaced}
    assert part.kinds <= read
    groups = param_groups(evaluator.packs, {})
    done = evaluate_parts(evaluator, groups, [part], NOW)
    by_id = {r.id: r for r in resources}
    for outcome in done.outcomes:
        expected, _ = seeds_of(
            fresh(evaluator, resources, outcome.group.params), evaluator.library, by_id
        )
        assert outcome.seeds == [
            s for s in expected if plan.family_of_check[s["check"]] in part.families
        ]
        assert {s["check"] for s in outcome.seeds or []} & namespaced


def test_a_split_part_asks_every_group_in_one_set_of_processes(
    evaluator: Evaluator, resources: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split over processes, the first group's whole query and the later groups' changed
    families are tasks of one pool (no process started per group); the caller's
    ``meanwhile`` runs once while they do; every group's seeds are those of a fresh query."""
    monkeypatch.setattr(executor, "PARTITION_MIN_RESOURCES", 0)
    runs: list[list[dict[str, Any]]] = []
    real = executor.run_queries

    def recording(
        engine: Engine, tasks: Any, now: datetime, workers: int, meanwhile: Any = None
    ) -> Any:
        runs.append([params for _, _, _, params in tasks])
        return real(engine, tasks, now, workers, meanwhile)

    monkeypatch.setattr(executor, "run_queries", recording)
    called: list[int] = []
    groups = param_groups(evaluator.packs, {})
    assert len(groups) == 2
    done = evaluate_parts(
        evaluator,
        groups,
        [whole(evaluator, resources)],
        NOW,
        workers=2,
        meanwhile=lambda: called.append(len(runs)),
    )
    assert done.clean and not done.errors
    assert len(runs) == 1, "one pool for every group"
    assert {orjson_key(p) for p in runs[0]} == {orjson_key(g.params) for g in groups}
    assert called == [1], "meanwhile runs once, while the pool does"
    by_id = {r.id: r for r in resources}
    for outcome in done.outcomes:
        expected, _ = seeds_of(
            fresh(evaluator, resources, outcome.group.params), evaluator.library, by_id
        )
        assert outcome.seeds == expected


def test_a_later_group_reuses_the_seeds_of_the_families_it_keeps(
    evaluator: Evaluator, resources: list[Resource]
) -> None:
    groups = param_groups(evaluator.packs, {})
    done = evaluate_parts(evaluator, groups, [whole(evaluator, resources)], NOW)
    first, second = (o.seeds or [] for o in done.outcomes)
    plan = evaluator.analysis.plan
    assert plan is not None
    kept = [s for s in second if plan.family_of_check[s["check"]] != "log_03"]
    assert kept and len(kept) < len(second), "the corpus must have LOG-03 findings and others"
    earlier = {id(s) for s in first}
    assert all(id(s) in earlier for s in kept)
    assert not any(id(s) in earlier for s in second if s not in kept)


def orjson_key(params: dict[str, Any]) -> bytes:
    return orjson.dumps(params, option=orjson.OPT_SORT_KEYS)
