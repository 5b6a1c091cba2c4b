"""The Evaluator: resources x packs -> Report. No I/O, no printing."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from compliance.assess import Assessor, members, set_aside, with_unique_ids
from compliance.engine.base import Engine
from compliance.evaluation.planner import (
    GroupOutcome,
    ParamGroup,
    Seed,
    evaluate_parts,
    failed_packs,
    param_groups,
    whole,
)
from compliance.evaluation.report import ReportBuilder, Row, RunFacts, Waive
from compliance.model import LoadError, Pack, Resource
from compliance.model.notes import BuildNotice, Skipped
from compliance.model.report import InputRef, Report
from compliance.policy.analysis import RegoAnalysis, kinds_read
from compliance.policy.packs import CheckLibrary

__all__ = [
    "Evaluator",
    "GroupOutcome",
    "ParamGroup",
    "Row",
    "RunFacts",
    "Seed",
    "Waive",
    "failed_packs",
]


class Evaluator:
    """A compiled policy: the check library and the packs loaded into ``engine`` once,
    with the analysis of their Rego; evaluates runs on it."""

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
        self.analysis = RegoAnalysis(modules, library, own_rego=any(p.modules for p in self.packs))
        """What the Rego may read (compliance.policy.analysis), computed when first asked."""
        self.reports = ReportBuilder(
            engine,
            library,
            self.packs,
            self.assessor,
            lambda kind: bool(kinds_read(modules, library, {kind})),
        )
        """Builds this evaluator's reports (also from the result cache's rows)."""

    @functools.cached_property
    def digest(self) -> str:
        """Everything the policy's results depend on besides the code and the engine: every
        Rego module (pack modules included), each check's module, kinds and scope, the
        packs' digests."""
        checks = {c: [m.module, sorted(m.kinds), m.scope] for c, m in self.library.checks.items()}
        h = hashlib.sha256()
        for part in (
            orjson.dumps(sorted(p.digest or "" for p in self.packs)),
            orjson.dumps(sorted(self.modules.items())),
            orjson.dumps(checks, option=orjson.OPT_SORT_KEYS),
        ):
            h.update(len(part).to_bytes(8, "big") + part)
        return h.hexdigest()

    def param_groups(self, parameters: dict[str, Any] | None) -> list[ParamGroup]:
        """One entry per distinct effective parameter set (usually one for all packs):
        the run makes one engine query per entry."""
        return param_groups(self.packs, parameters)

    def evaluate(
        self,
        resources: Sequence[Resource],
        *,
        now: datetime | None = None,
        parameters: dict[str, Any] | None = None,
        load_errors: Sequence[LoadError] = (),
        inputs: Sequence[InputRef] = (),
        skipped: Sequence[Skipped] = (),
        waive: Waive | None = None,
        exclusions: Mapping[str, str] | None = None,
        notices: Sequence[BuildNotice] = (),
        workers: int = 1,
    ) -> Report:
        """The report over ``resources``; objects that share an id get ids of their own
        (``with_unique_ids``). ``exclusions``: ``pack:control`` -> reason, the controls
        scoped out (``not_applicable``). A large run's engine query may be split over
        ``workers`` processes (compliance.evaluation.executor)."""
        now = now or datetime.now(UTC)
        resources, duplicates = with_unique_ids(resources)
        # the population does not depend on the engine's answer: listed while worker
        # processes evaluate, when they do
        population = functools.cache(lambda: members(resources, self.assessor))
        done = evaluate_parts(
            self,
            self.param_groups(parameters),
            [whole(self, resources)],
            now,
            workers,
            meanwhile=population,
        )
        facts = RunFacts(
            now=now,
            population=set_aside(population(), done.set_aside),
            duplicates=duplicates,
            parameters=parameters,
            errors=[*load_errors, *done.errors],
            inputs=inputs,
            skipped=skipped,
            failed_packs=failed_packs(done.outcomes),
            exclusions=exclusions or {},
            notices=notices,
        )
        return self.reports.report(self.reports.rows(done.outcomes), facts, waive)
