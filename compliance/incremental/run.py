"""A cached run: the result units whose key is in the index are reused, the missing ones
evaluated through the one planner and executor (compliance.evaluation.planner), as a cold
run is; see compliance.incremental.cache."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from compliance.assess import set_aside
from compliance.evaluation.planner import (
    Part,
    Seed,
    evaluate_parts,
    failed_packs,
    namespace_part,
    whole,
)
from compliance.evaluation.report import Row, RunFacts, Waive, controls_by_check
from compliance.incremental.cache import Cache, CacheMiss
from compliance.incremental.units import Unit, Units
from compliance.inputs.base import LoadResult
from compliance.model.report import Report

if TYPE_CHECKING:
    from compliance.evaluation.evaluator import Evaluator
    from compliance.runner import RunOptions


def evaluate_cached(
    evaluator: Evaluator,
    loaded: LoadResult,
    cache: Cache,
    options: RunOptions,
    waive: Waive | None = None,
    *,
    workers: int = 1,
) -> Report:
    """The report ``evaluate_loaded`` would give for the files ``cache`` loaded, evaluating
    only the result units whose key changed (see compliance.incremental.cache)."""
    return evaluator.reports.report(*cached_rows(evaluator, loaded, cache, options, workers), waive)


def cached_rows(
    evaluator: Evaluator,
    loaded: LoadResult,
    cache: Cache,
    options: RunOptions,
    workers: int = 1,
) -> tuple[list[Row], RunFacts]:
    """Every finding row of the run (the cached units' as stored, the missing ones
    evaluated) and the rest of what it found; the cache saved."""
    now = options.now or datetime.now(UTC)
    units = Units(evaluator, cache)
    groups = evaluator.param_groups(options.parameters)
    keys = units.keys(evaluator, groups, now)
    old_units: dict[str, Any] = cache.stored_units() if units.cacheable else {}
    rows_of: dict[Unit, list[Row]] = {}
    controls = default_controls(evaluator)
    for unit, key in keys.items():
        hit = old_units.get(key)
        if isinstance(hit, list):
            for row in hit:  # as saved: the check's controls left out (one list for all)
                if row["controls"] is None:
                    row["controls"] = controls[row["check"]]
            rows_of[unit] = hit
    missing = sorted(keys.keys() - rows_of.keys(), key=lambda u: u.name)
    cache.evaluated_units = [u.name for u in missing]

    errors = list(loaded.errors)
    outcomes = []
    unevaluated: set[str] = set()
    keep = units.cacheable
    if missing:
        done = evaluate_parts(
            evaluator, groups, missing_parts(evaluator, units, keys, missing, cache), now, workers
        )
        errors.extend(done.errors)
        outcomes = done.outcomes
        unevaluated = done.set_aside
        # an engine error or a malformed violation is reported again next run, never
        # hidden by the cache
        keep = keep and done.clean
        for unit in missing:
            rows_of[unit] = []
        for row in evaluator.reports.rows(outcomes):
            rows_of[units.unit_of(row["check"], row["resource"]["id"])].append(row)

    cache.save({u.name: (keys[u], rows) for u, rows in rows_of.items()} if keep else {}, controls)
    return [row for rows in rows_of.values() for row in rows], RunFacts(
        now=now,
        population=set_aside(units.population(), unevaluated),
        duplicates=units.duplicates,
        parameters=options.parameters,
        errors=errors,
        inputs=loaded.inputs,
        skipped=loaded.skipped,
        failed_packs=failed_packs(outcomes),
        exclusions=options.exclusions,
        notices=loaded.notices,
    )


def missing_parts(
    evaluator: Evaluator, units: Units, keys: dict[Unit, str], missing: list[Unit], cache: Cache
) -> list[Part]:
    """The queries the ``missing`` units need: every check over the files of the missing
    units, and a large group's ``namespace`` checks over that whole group apart (its other
    files' ``resource`` checks are kept), unless every file of the group is there anyway
    (a first run: one query). Each part keeps the seeds of its own units only: what a
    query says of another unit (a global check over part of the input, a resource check
    of a large group's other file) is not that unit's result."""
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
    parts = []
    if resources:
        parts.append(whole(evaluator, resources, units.read, _keep(units, keys, wanted)))
    if grouped:  # large groups exist only where the families are known
        parts.append(namespace_part(evaluator, grouped, units.read, _keep(units, keys, set(apart))))
    return parts


def _keep(units: Units, keys: dict[Unit, str], wanted: set[Unit]) -> Any:
    """A part's filter: the seeds of ``wanted`` units; a seed of no unit, or of a kind the
    analysis did not expect, refuses the cache (its unit's key would miss changes)."""

    def keep(s: Seed) -> bool:
        check, resource = s["check"], s["resource"]
        unit = units.unit_of(check, resource["id"])
        if unit not in keys or units.unexpected(check, resource["kind"]):
            raise CacheMiss(f"{check} reported on an unexpected kind {resource['kind']}")
        return unit in wanted

    return keep


def default_controls(evaluator: Evaluator) -> dict[str, list[str]]:
    """Per check, what ``Evaluator.rows`` gives a finding that every parameter set reported:
    every ``pack:control`` of the run's packs that maps the check, sorted."""
    return {check: sorted(set(ids)) for check, ids in controls_by_check(evaluator.packs).items()}
