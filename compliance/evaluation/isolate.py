"""Which resources a failed engine query cannot take, so that the others are still judged.

A query fails as a whole: one object whose values a check cannot handle (a list left
``null``, a number where a string belongs) would turn every control of the run to
``error`` with no finding. ``unevaluable`` finds those objects by halving: first over the
groups a check may relate (``scope.group_of``: a namespace, or a file), then over the
resources of each failing group, each tried alone. A group that fails only as a whole
(two of its resources together) is given up whole. The caller evaluates everything else
and reports each given-up resource as an error of its file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from compliance.errors import EngineError
from compliance.evaluation.executor import engine_input
from compliance.evaluation.scope import group_of
from compliance.model import LoadError, Resource

BUDGET = 400
"""At most this many queries to find what fails (a few resources take ~15 each per
ten thousand; a failure of every resource of a kind would take thousands)."""


def unevaluable(
    evaluate: Callable[[str, dict[str, Any]], Any],
    query: str,
    resources: Sequence[Resource],
    params: dict[str, Any],
    now: datetime,
    kinds: frozenset[str] | set[str] | None,
    budget: int = BUDGET,
) -> dict[str, str]:
    """Resource id -> the engine's message, for the resources without which ``query``
    evaluates (in input order); empty when no such set is found within ``budget``
    queries (the failure comes from resources of different groups together, from no
    resource at all, or from too many)."""
    sent = [r for r in resources if _sent(r, kinds)]
    asked = 0

    def error(part: Sequence[Resource]) -> str | None:
        nonlocal asked
        asked += 1
        if asked > budget:
            raise _OverBudget
        try:
            evaluate(query, engine_input(part, params, now, kinds))
        except EngineError as e:
            return e.message
        return None

    try:
        if error([]) is not None:  # the policy fails on no resource at all
            return {}
        return _search(sent, error)
    except _OverBudget:
        return {}


class _OverBudget(Exception):
    """More queries than ``unevaluable``'s budget: the failure is not a few resources'."""


def _search(
    sent: list[Resource], error: Callable[[Sequence[Resource]], str | None]
) -> dict[str, str]:
    """The failing groups, and in each the resources that fail alone (or all of it)."""
    groups: dict[str, list[Resource]] = {}
    for r in sent:
        groups.setdefault(group_of(r), []).append(r)

    def fails(items: list[list[Resource]]) -> str | None:
        return error([r for item in items for r in item])

    found: dict[str, str] = {}
    for group in _failing(list(groups.values()), fails):
        alone = [one[0] for one in _failing([[r] for r in group], fails)]
        ids = {r.id for r in alone}
        rest = [r for r in group if r.id not in ids]
        if not alone or (rest and error(rest) is not None):  # fails as a whole: give it up
            alone = group
        message = error(alone) or ""
        found.update((r.id, message) for r in alone)
    if not found or error([r for r in sent if r.id not in found]) is not None:
        return {}
    return found


def _sent(resource: Resource, kinds: frozenset[str] | set[str] | None) -> bool:
    """Whether ``engine_input`` sends anything of ``resource``."""
    return kinds is None or resource.kind in kinds or bool(resource.facts.get("secret_shapes"))


def _failing(
    items: list[list[Resource]], fails: Callable[[list[list[Resource]]], str | None]
) -> list[list[Resource]]:
    """The items that fail on their own, found by halving the failing halves."""
    if not items or fails(items) is None:
        return []
    if len(items) == 1:
        return items
    mid = len(items) // 2
    return _failing(items[:mid], fails) + _failing(items[mid:], fails)


def unevaluable_errors(
    resources: Sequence[Resource], found: dict[str, str], engine: str
) -> list[LoadError]:
    """An error of each given-up resource's file and line, in input order."""
    return [
        LoadError(
            file=r.source.file,
            line=r.source.line,
            message=(
                f"{r.kind} {r.name}: the checks cannot evaluate it ({engine}: {found[r.id]}); "
                "the other resources were evaluated without it"
            ),
        )
        for r in resources
        if r.id in found
    ]
