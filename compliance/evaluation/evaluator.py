"""The Evaluator: resources x packs -> Report. No I/O, no printing."""

from __future__ import annotations

import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from compliance import __version__
from compliance.assess import (
    CONTEXT,
    NO_CHECK,
    NO_PROPERTY,
    Assessor,
    Member,
    failed_formats,
    format_of_kind,
    members,
    observed,
    with_unique_ids,
)
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
from compliance.model import LoadError, Pack, Resource
from compliance.model.construct import trusted
from compliance.model.report import (
    CONTROL_STATUSES,
    SEVERITIES,
    ControlResult,
    Duplicate,
    Finding,
    InputRef,
    Notice,
    PackRef,
    Report,
    ResourceEntry,
    ResourceRef,
    SkippedFile,
    Summary,
    severity_rank,
)
from compliance.policy.analysis import RegoAnalysis, kinds_read
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
    "failed_packs",
]

Waive = Callable[[Finding], dict[str, Any] | None]
"""Returns the waiver that covers a finding, or None. A waiver with a ``controls`` list
waives the finding for those ``pack:control`` ids only (see ``_apply_waiver``)."""


def fingerprint(check_id: str, resource_id: str, path: str | None, message: str) -> str:
    material = "\x1f".join((check_id, resource_id, path or "", message))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def controls_by_check(packs: Sequence[Pack]) -> dict[str, list[str]]:
    """Per check, the ``pack:control`` ids of ``packs`` that map it, in pack order."""
    out: dict[str, list[str]] = defaultdict(list)
    for pack in packs:
        for control in pack.controls:
            for check in control.checks:
                out[check].append(f"{pack.name}:{control.id}")
    return out


def _control_counts(controls: Iterable[Sequence[str]]) -> Counter[str]:
    """How many findings name each control, from each finding's controls: counted per
    distinct list (findings of one check mostly name the same ones)."""
    out: Counter[str] = Counter()
    for ids, count in Counter(tuple(c) for c in controls).items():
        for control in ids:
            out[control] += count
    return out


@dataclass(frozen=True)
class RunFacts:
    """What a report says besides its findings: the same for a cold run, a cached run and
    the cached JSON data path."""

    now: datetime
    population: Sequence[Member]
    """Every resource of the run (ids unique), in input order."""
    duplicates: Sequence[tuple[str, list[str]]]
    """Each id several loaded objects shared, and the ids they have in the run."""
    parameters: dict[str, Any] | None
    errors: Sequence[LoadError]
    inputs: Sequence[InputRef]
    skipped: Sequence[dict[str, str]]
    """Files that hold nothing evaluated, with the reason (the report's ``skipped``)."""
    failed_packs: set[str]
    """Packs whose engine query failed: their controls are ``error``."""
    exclusions: Mapping[str, str]
    """``pack:control`` -> reason: the controls scoped out in compliance.yaml."""
    notices: Sequence[dict[str, str]] = ()
    """Folders that need a build step for a faithful result (the report's ``notices``)."""


Row = dict[str, Any]
"""A finding identity's seed with its severity resolved, its ``controls`` (of every pack
that reported it) and ``fingerprint``: what a Finding is built from, and what the result
cache stores per unit."""


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
        skipped: Sequence[dict[str, str]] = (),
        waive: Waive | None = None,
        exclusions: Mapping[str, str] | None = None,
        notices: Sequence[dict[str, str]] = (),
        workers: int = 1,
    ) -> Report:
        """The report over ``resources``; objects that share an id get ids of their own
        (``with_unique_ids``). ``exclusions``: ``pack:control`` -> reason, the controls
        scoped out (``not_applicable``). A large run's engine query may be split over
        ``workers`` processes (compliance.evaluation.executor)."""
        now = now or datetime.now(UTC)
        resources, duplicates = with_unique_ids(resources)
        done = evaluate_parts(
            self, self.param_groups(parameters), [whole(self, resources)], now, workers
        )
        facts = RunFacts(
            now=now,
            population=members(resources, self.assessor),
            duplicates=duplicates,
            parameters=parameters,
            errors=[*load_errors, *done.errors],
            inputs=inputs,
            skipped=skipped,
            failed_packs=failed_packs(done.outcomes),
            exclusions=exclusions or {},
            notices=notices,
        )
        return self.report(self.rows(done.outcomes), facts, waive)

    def rows(self, outcomes: Sequence[GroupOutcome]) -> list[Row]:
        """One row per finding identity over every parameter group's seeds: the controls
        of every pack whose group reported it, its severity and fingerprint."""
        raw: dict[tuple[str, str, str | None, str], Seed] = {}
        controls_of: dict[tuple[str, str, str | None, str], set[str]] = defaultdict(set)
        for outcome in outcomes:
            if outcome.seeds is None:
                continue
            check_controls = controls_by_check(outcome.group.packs)
            for seed in outcome.seeds:
                if seed["check"] not in check_controls:
                    continue
                ident = (seed["check"], seed["resource"]["id"], seed["path"], seed["message"])
                raw[ident] = seed
                controls_of[ident].update(check_controls[seed["check"]])
        checks = self.library.checks
        return [
            {
                **seed,
                "severity": seed["severity"] or checks[seed["check"]].severity,
                "controls": sorted(controls_of[ident]),
                "fingerprint": fingerprint(*ident),
            }
            for ident, seed in raw.items()
        ]

    def report(self, rows: Sequence[Row], facts: RunFacts, waive: Waive | None = None) -> Report:
        """The report from finding rows (``rows``, or the result cache's) and the rest of
        what the run found (``facts``)."""
        findings = []
        for row in sorted(rows, key=_order):
            values = self._finding_values(row)
            # every field was checked (``_invalid_violation``, or the cache wrote it from
            # a checked row): built without validating thousands of findings again
            values["resource"] = trusted(ResourceRef, values["resource"])
            finding = trusted(Finding, values)
            waiver = waive(finding) if waive else None
            if waiver is not None:
                finding = _apply_waiver(finding, waiver)
            findings.append(finding)
        found = _control_counts(f.controls for f in findings)
        open_: Counter[str] = Counter()
        for f in findings:
            if f.status == "fail":
                open_.update(c for c in f.controls if c not in f.waived_controls)
        head = self._head(found, open_, facts, rows)
        active = [f for f in findings if f.status == "fail"]
        severities = Counter(f.severity for f in active)
        summary = head.summary.model_copy(
            update={
                "findings": len(active),
                "waived": len(findings) - len(active),
                "by_severity": {s: severities[s] for s in reversed(SEVERITIES)},
            }
        )
        return head.model_copy(
            update={"summary": summary, "findings": findings, "inputs": list(facts.inputs)}
        )

    def report_data(self, rows: Sequence[Row], facts: RunFacts) -> dict[str, Any]:
        """What ``report`` gives (no waivers), as the JSON data of the report contract
        (``Report.model_dump(mode="json")``) without a model per finding: what a warm
        JSON run renders. tests/unit/test_cache.py holds the two to the same bytes."""
        findings = [self._finding_values(row) for row in sorted(rows, key=_order)]
        found = _control_counts(f["controls"] for f in findings)
        head = self._head(found, found, facts, rows)
        severities = Counter(f["severity"] for f in findings)
        data = head.model_dump(mode="json")
        data["summary"].update(
            findings=len(findings),
            waived=0,
            by_severity={s: severities[s] for s in reversed(SEVERITIES)},
        )
        data["findings"] = findings
        # an InputRef's fields are JSON values already, in the model's order
        data["inputs"] = [dict(i.__dict__) for i in facts.inputs]
        return data

    def _finding_values(self, row: Row) -> dict[str, Any]:
        """A finding's fields (in the model's order, JSON data) from its row."""
        meta = self.library.checks[row["check"]]
        return {
            "check_id": meta.id,
            "title": meta.title,
            "severity": row["severity"],
            "status": "fail",
            "message": row["message"],
            "file": row["file"],
            "line": row["line"],
            "path": row["path"],
            "resource": dict(row["resource"]),
            "controls": list(row["controls"]),
            "remediation": meta.remediation,
            "fingerprint": row["fingerprint"],
            "waiver": None,
            "waived_controls": [],
            "baseline": None,
        }

    def _head(
        self, found: Counter[str], open_: Counter[str], facts: RunFacts, rows: Sequence[Row]
    ) -> Report:
        """The report without findings and inputs: packs, control results (from the
        number of findings naming each ``pack:control``, how many of them are open, and
        what each check assessed), the population, the summary's counts, errors, skipped
        files."""
        overrides = facts.parameters or {}
        seen = observed(
            facts.population, ((r["check"], r["resource"]["id"]) for r in rows), self._unassessed
        )
        broken = failed_formats(facts.errors)
        controls = [
            self._control_result(
                pack,
                control,
                found[f"{pack.name}:{control.id}"],
                open_[f"{pack.name}:{control.id}"],
                seen.by_check,
                pack.name in facts.failed_packs,
                broken,
                facts.exclusions.get(f"{pack.name}:{control.id}"),
            )
            for pack in self.packs
            for control in pack.controls
        ]
        statuses = Counter(c.status for c in controls)
        return Report(
            tool={"name": "compliance", "version": __version__},
            engine={"name": self.engine.name, "version": self.engine.version()},
            evaluated_at=rfc3339(facts.now),
            packs=[
                PackRef(
                    name=p.name,
                    version=p.version,
                    framework=p.framework,
                    digest=p.digest,
                    parameters=effective_parameters(p, overrides),
                )
                for p in self.packs
            ],
            summary=Summary(
                resources=len(facts.population),
                findings=0,
                waived=0,
                by_severity={s: 0 for s in reversed(SEVERITIES)},
                controls={s: statuses[s] for s in CONTROL_STATUSES},
                duplicates=sum(len(ids) for _, ids in facts.duplicates),
                unassessed=seen.unassessed,
            ),
            controls=controls,
            resources=[trusted(ResourceEntry, values) for values in seen.resources],
            duplicates=[
                trusted(Duplicate, {"id": rid, "resources": list(ids)})
                for rid, ids in facts.duplicates
            ],
            findings=[],
            inputs=[],
            errors=list(facts.errors),
            skipped=[SkippedFile.model_validate(s) for s in facts.skipped],
            notices=[Notice.model_validate(n) for n in facts.notices],
        )

    def _unassessed(self, kind: str) -> str:
        """Why no check assessed a resource of ``kind``."""
        if self.assessor.reads(kind):
            return NO_PROPERTY
        if kinds_read(self.modules, self.library, {kind}):
            return CONTEXT
        return NO_CHECK

    def _control_result(
        self,
        pack: Pack,
        control: Any,
        found: int,
        open_: int,
        assessed: dict[str, list[str]],
        failed: bool,
        broken: frozenset[str],
        excluded: str | None,
    ) -> ControlResult:
        """A control's status (DESIGN.md section 4) from the number of findings naming it,
        how many of those are open (not waived, for it), the resources each check
        assessed, whether its pack's query failed, the formats of the inputs that failed
        to load and the reason it is scoped out, if it is."""
        mine = {c: assessed[c] for c in control.checks if assessed.get(c)}
        reads = {format_of_kind(k) for c in control.checks for k in self.library.checks[c].kinds}
        reason = None
        if excluded is not None:
            status, reason = "not_applicable", excluded
        elif control.evidence == "manual":
            status = "manual"
        elif failed:
            status = "error"
        elif open_:
            status = "fail"
        elif broken & reads:
            status = "error"
        elif found:
            status = "waived"
        elif mine:
            status = "pass"
        else:
            status = "not_assessed"
        # built unvalidated: every value is the pack's or computed here (the assessed lists
        # hold thousands of ids in a large run)
        return trusted(
            ControlResult,
            {
                "pack": pack.name,
                "control_id": control.id,
                "title": control.title,
                "status": status,
                "evidence": control.evidence,
                "checks": list(control.checks),
                "finding_count": open_,
                "waived_count": found - open_,
                "assessed": mine,
                "unassessed_checks": [c for c in control.checks if c not in mine],
                "reason": reason,
                "evidence_hint": control.evidence_hint,
            },
        )


_RANK = {s: -severity_rank(s) for s in SEVERITIES}


def _order(row: Row) -> tuple[Any, ...]:
    """A total order of findings (the identity is unique): the same report whatever order
    the rows came in (one engine query, partitions, or the result cache's units)."""
    return (
        _RANK[row["severity"]],
        row["file"],
        row["line"],
        row["check"],
        row["resource"]["id"],
        row["message"],
        row["path"] or "",
    )


def _apply_waiver(finding: Finding, waiver: dict[str, Any]) -> Finding:
    """Unscoped, or scoped to every control of the finding: ``waived``. Scoped to some of its
    controls: still ``fail`` (it counts for --fail-on), waived for those controls only."""
    scope = waiver.get("controls")
    if not scope:
        return finding.model_copy(
            update={"status": "waived", "waiver": waiver, "waived_controls": list(finding.controls)}
        )
    covered = [c for c in finding.controls if c in scope]
    status = "waived" if len(covered) == len(finding.controls) else "fail"
    return finding.model_copy(
        update={"status": status, "waiver": waiver, "waived_controls": covered}
    )
