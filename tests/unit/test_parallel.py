"""Evaluation split by namespace over processes, and families reused across parameter sets,
give exactly the violations of one whole query: same members, same order.

Inputs: every tests/packs case alone, all cases in one run, examples/bpi, and (in tests of
their own, skipped saying so without ../shared) a slice of the benchmark corpus:
kube-prometheus in three namespaces, with examples/bpi.

The scoped split runs a process pool per query, one per case and parameter set: run over every
case alone it is the suite's longest test. ``make test`` therefore runs it on every input a
split divides by namespace, the whole-suite inputs (all cases in one run, examples/bpi: every
case's resources split together) and a fixed-seed sample of the other cases alone;
``make test-all`` (``COMPLIANCE_EXHAUSTIVE=1``) runs every case alone too."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from compliance.engine.base import VIOLATIONS_QUERY
from compliance.evaluation.evaluator import Evaluator
from compliance.evaluation.executor import (
    engine_input,
    merge_disjoint,
    merge_violations,
    namespace_partitions,
    partition_key,
    partitioned_query,
    scoped_for,
)
from compliance.evaluation.planner import Part, PartQuery
from compliance.inputs import LoadOptions, load_paths
from compliance.model import Resource
from compliance.policy.analysis import family_query, kinds_read
from compliance.policy.cases import discover, load_case
from compliance.policy.packs import effective_parameters
from compliance.runner import RunOptions, build_evaluator
from tests.sampling import EXHAUSTIVE, sample
from tests.shared import kube_prometheus

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)
CASES = discover(ROOT / "tests" / "packs" / "cases")
SAMPLE_SIZE = 16
WHOLE_SUITE = ("all-cases", "examples/bpi")


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return build_evaluator(RunOptions(now=NOW, load=LoadOptions(env={})))


def _case_resources() -> dict[str, list[Resource]]:
    out = {}
    for case in CASES:
        out[case.id] = list(load_case(case).resources)
    out["all-cases"] = [r for rs in list(out.values()) for r in rs]
    return out


def _corpus_slice(tmp: Path) -> list[Resource]:
    for i in (1, 2, 3):
        dest = tmp / f"r{i}"
        dest.mkdir(parents=True)
        for src in sorted(kube_prometheus().glob("*.yaml")):
            dest.joinpath(src.name).write_text(
                src.read_text().replace("namespace: monitoring", f"namespace: monitoring-r{i}")
            )
    loaded = load_paths([str(tmp), str(ROOT / "examples" / "bpi")], LoadOptions(env={}))
    return loaded.resources


@pytest.fixture(scope="module")
def inputs() -> dict[str, list[Resource]]:
    out = _case_resources()
    out["examples/bpi"] = load_paths(
        [str(ROOT / "examples" / "bpi")], LoadOptions(env={})
    ).resources
    return out


@pytest.fixture(scope="module")
def corpus_slice(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Resource]]:
    return {"corpus-slice": _corpus_slice(tmp_path_factory.mktemp("corpus"))}


def sampled(inputs: dict[str, list[Resource]]) -> dict[str, list[Resource]]:
    """Every input under ``COMPLIANCE_EXHAUSTIVE=1``; else the whole-suite inputs, every input
    divided into more than one namespace partition, and ``SAMPLE_SIZE`` of the other cases
    drawn with a fixed seed (the same cases on every run and machine)."""
    keep = {
        n for n, rs in inputs.items() if n in WHOLE_SUITE or len(namespace_partitions(rs, 5)) > 1
    }
    keep |= set(sample(sorted(set(inputs) - keep), SAMPLE_SIZE))
    return {n: rs for n, rs in inputs.items() if n in keep}


def _params(evaluator: Evaluator) -> list[dict[str, Any]]:
    """Every distinct effective parameter set of the packs, plus one that changes a
    parameter the shared lib.rego reads (admin_ports) and one unknown to every check."""
    sets = []
    for pack in evaluator.packs:
        p = effective_parameters(pack, {})
        if p not in sets:
            sets.append(p)
    assert len(sets) >= 2, "the packs no longer differ in a parameter: reuse is untested"
    sets.append({**sets[0], "admin_ports": [22]})
    sets.append({**sets[0], "no_check_reads_this": 1})
    return sets


def _whole(evaluator: Evaluator, resources: list[Resource], params: dict[str, Any]) -> Any:
    kinds = kinds_read(evaluator.modules, evaluator.library, {r.kind for r in resources})
    return evaluator.engine.evaluate(VIOLATIONS_QUERY, engine_input(resources, params, NOW, kinds))


def _split(
    evaluator: Evaluator,
    resources: list[Resource],
    params: dict[str, Any],
    partitions: int,
    scoped: Any = None,
) -> Any:
    """The violations over ``resources`` split into ``partitions`` on two processes,
    however few resources there are."""
    kinds = kinds_read(evaluator.modules, evaluator.library, {r.kind for r in resources})
    return partitioned_query(
        evaluator.engine,
        VIOLATIONS_QUERY,
        resources,
        params,
        NOW,
        kinds,
        2,
        min_resources=0,
        partitions=partitions,
        scoped=scoped,
    )


def test_partitions_hold_whole_namespaces_and_every_shared_resource(
    inputs: dict[str, list[Resource]],
) -> None:
    resources = inputs["all-cases"]
    parts = namespace_partitions(resources, 3)
    assert len(parts) >= 2
    shared = [r for r in resources if partition_key(r) is None]
    homes: dict[str, set[int]] = {}
    for i, part in enumerate(parts):
        assert [r for r in part if partition_key(r) is None] == shared
        for r in part:
            if partition_key(r) is not None:
                homes.setdefault(partition_key(r) or "", set()).add(i)
        assert part == [r for r in resources if r in part]  # input order kept
    assert all(len(h) == 1 for h in homes.values())
    assert sum(len(p) - len(shared) for p in parts) == len(resources) - len(shared)


def test_split_evaluation_equals_one_query(
    evaluator: Evaluator, inputs: dict[str, list[Resource]]
) -> None:
    _assert_split_equals_whole(evaluator, inputs)


def test_split_evaluation_equals_one_query_on_the_corpus_slice(
    evaluator: Evaluator, corpus_slice: dict[str, list[Resource]]
) -> None:
    _assert_split_equals_whole(evaluator, corpus_slice, least=1)


def _assert_split_equals_whole(
    evaluator: Evaluator, inputs: dict[str, list[Resource]], least: int = 3
) -> None:
    params = _params(evaluator)[0]
    checked = 0
    for name, resources in inputs.items():
        whole = _whole(evaluator, resources, params)
        for partitions in (2, 3, 7):
            split = _split(evaluator, resources, params, partitions)
            assert split == whole, f"{name}: {partitions} partitions differ from one query"
        checked += len(namespace_partitions(resources, 7)) > 1
    assert checked >= least  # several inputs really were split


def test_split_by_scope_equals_one_query(
    evaluator: Evaluator, inputs: dict[str, list[Resource]]
) -> None:
    """The split large runs use: namespaces apart (no shared resource repeated), everything
    outside namespaces in one partition, the global checks once over the kinds they read.
    Equal to one query for every input (sampled: see the module docstring) and parameter set."""
    chosen = sampled(inputs)
    assert set(WHOLE_SUITE) <= set(chosen)
    assert len(chosen) == len(inputs) if EXHAUSTIVE else len(chosen) >= SAMPLE_SIZE
    _assert_scoped_split_equals_whole(evaluator, chosen)


def test_split_by_scope_equals_one_query_on_the_corpus_slice(
    evaluator: Evaluator, corpus_slice: dict[str, list[Resource]]
) -> None:
    _assert_scoped_split_equals_whole(evaluator, corpus_slice, least=1)


def _assert_scoped_split_equals_whole(
    evaluator: Evaluator, inputs: dict[str, list[Resource]], least: int = 3
) -> None:
    checked = 0
    for params in _params(evaluator):
        for name, resources in inputs.items():
            whole = _whole(evaluator, resources, params)
            scoped = scoped_for(evaluator.analysis, {r.kind for r in resources})
            assert scoped.global_checks  # the library has global checks: they are tested
            for partitions in (2, 5):
                split = _split(evaluator, resources, params, partitions, scoped)
                assert split == whole, f"{name}: scoped split in {partitions} differs"
            checked += len(namespace_partitions(resources, 5)) > 1
    assert checked >= least


def test_resources_loaded_in_processes_split_as_one_query_over_parsed_ones(
    evaluator: Evaluator, inputs: dict[str, list[Resource]]
) -> None:
    """What a large run evaluates: resources from load workers (bodies kept as the workers'
    JSON and sent to the engine as those bytes), split by scope over processes, give the
    violations of one query over resources parsed here, for every parameter set."""
    packed = {
        name: [Resource.from_packed(r.to_packed(evaluator.assessor.stamp(r))) for r in rs]
        for name, rs in inputs.items()
        if name in WHOLE_SUITE
    }
    for params in _params(evaluator):
        for name, resources in packed.items():
            whole = _whole(evaluator, inputs[name], params)
            scoped = scoped_for(evaluator.analysis, {r.kind for r in resources})
            assert _split(evaluator, resources, params, 3, scoped) == whole, name
            assert _split(evaluator, resources, params, 3) == whole, name
    # the bodies were spliced into the engine's input, never decoded here
    assert all("body" not in r.__dict__ for rs in packed.values() for r in rs)


def test_family_union_query_equals_the_main_query(
    evaluator: Evaluator, inputs: dict[str, list[Resource]]
) -> None:
    plan = evaluator.analysis.plan
    assert plan is not None
    families = sorted(set(plan.family_of_check.values()))
    resources = inputs["all-cases"]
    kinds = kinds_read(evaluator.modules, evaluator.library, {r.kind for r in resources})
    params = _params(evaluator)[0]
    union = evaluator.engine.evaluate(
        family_query(families), engine_input(resources, params, NOW, kinds)
    )
    assert union == _whole(evaluator, resources, params)


def _assert_reuse_equals_fresh(evaluator: Evaluator, inputs: dict[str, list[Resource]]) -> None:
    sets = _params(evaluator)
    for name, resources in inputs.items():
        kinds = kinds_read(evaluator.modules, evaluator.library, {r.kind for r in resources})
        query = PartQuery(evaluator, Part(resources, frozenset(kinds)), NOW)
        for params in sets:  # each after the previous one: the reuse path
            got = query(params)
            assert got == _whole(evaluator, resources, params), f"{name}: {params}"


def test_reusing_families_on_the_corpus_slice_equals_fresh_queries(
    evaluator: Evaluator, corpus_slice: dict[str, list[Resource]]
) -> None:
    _assert_reuse_equals_fresh(evaluator, corpus_slice)


def test_reusing_families_across_parameter_sets_equals_fresh_queries(
    evaluator: Evaluator, inputs: dict[str, list[Resource]]
) -> None:
    _assert_reuse_equals_fresh(evaluator, inputs)
    # A differing parameter that only LOG-03 names re-evaluates that check family only.
    plan = evaluator.analysis.plan
    assert plan is not None
    readers = {f for f, words in plan.family_words.items() if "log_retention_max_days" in words}
    assert readers == {"log_03"}


def test_merge_orders_like_the_engine(evaluator: Evaluator) -> None:
    a = [
        {"check": "X-1", "resource": "b", "message": "m"},
        {"check": "X-1", "resource": "a"},
        {"check": "X-1", "resource": "a", "line": 10},
        {"check": "X-1", "resource": "a", "line": 9, "path": None},
    ]
    b = [{"check": "X-1", "resource": "a"}, {"check": "A-1", "resource": "z", "line": 3.5}]
    b += [{"check": "A-1", "resource": "é"}, {"check": "A-1", "resource": "z", "tags": [2, "1"]}]
    engine_set = evaluator.engine.evaluate("{v | some v in input.vs}", {"vs": a + b})
    assert merge_violations([a, b]) == engine_set
    assert len(engine_set) == len(a) + len(b) - 1
    assert merge_violations([None, None]) is None


def test_merging_disjoint_ordered_lists_inserts_like_a_merge(
    evaluator: Evaluator, inputs: dict[str, list[Resource]]
) -> None:
    """``merge_disjoint`` (a later parameter group's kept violations and its fresh ones)
    gives what ``merge_violations`` gives, on every family split of the engine's answer."""
    resources = inputs["all-cases"]
    found = _whole(evaluator, resources, _params(evaluator)[0])
    plan = evaluator.analysis.plan
    assert plan is not None
    families = sorted({plan.family_of_check[v["check"]] for v in found})
    assert len(families) > 3
    for family in families:
        kept = [v for v in found if plan.family_of_check[v["check"]] != family]
        fresh = [v for v in found if plan.family_of_check[v["check"]] == family]
        assert merge_disjoint(kept, fresh) == merge_violations([kept, fresh]) == found
        assert merge_violations([fresh, kept], disjoint=True) == found
    assert merge_disjoint(found, None) == found
    assert merge_disjoint([], None) == []


def test_a_kind_read_only_by_prefix_reaches_the_engine(
    evaluator: Evaluator, tmp_path: Path
) -> None:
    """LOG-01 iterates every ``aws_*`` kind: one that no module names must still be sent,
    in the whole query and in a family query reused across parameter sets (its "no
    aws_cloudtrail" finding, on the root's provider block, needs some aws_* resource)."""
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "eu-west-1"\n}\n'
        'resource "aws_route53_zone" "ops" {\n  name = "ops"\n}\n'
    )
    resources = load_paths([str(tmp_path)], LoadOptions(env={})).resources
    assert [r.kind for r in resources] == ["aws_route53_zone", "provider.aws"]
    assert not any("aws_route53_zone" in source for source in evaluator.modules.values())
    kinds = kinds_read(evaluator.modules, evaluator.library, {"aws_route53_zone", "provider.aws"})
    assert kinds == {"aws_route53_zone", "provider.aws"}
    with_zone = PartQuery(evaluator, Part(resources, frozenset(kinds)), NOW)
    without = [r for r in resources if r.kind == "provider.aws"]
    alone = PartQuery(evaluator, Part(without, frozenset(kinds)), NOW)
    for params in _params(evaluator):  # the second and later: families reused
        got = with_zone(params)
        assert [(v["check"], v["resource"]) for v in got] == [("LOG-01", "tf:provider.aws")]
        assert alone(params) == []
