"""The one report builder: finding rows and what else a run found -> Report.

Whatever produced the violations (one engine query, partitions over processes, the result
cache's units), the report is built here from finding rows (``Row``) and ``RunFacts``.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

from compliance import __version__
from compliance.assess import (
    CONTEXT,
    NO_CHECK,
    NO_PROPERTY,
    Assessor,
    Member,
    failed_formats,
    format_of_kind,
    observed,
)
from compliance.engine.base import Engine
from compliance.model import LoadError, Pack
from compliance.model.construct import trusted
from compliance.model.notes import BuildNotice, SharedIdentity, Skipped
from compliance.model.pack import Control
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
from compliance.model.waiver import AppliedWaiver
from compliance.policy.packs import CheckLibrary, effective_parameters
from compliance.timestamps import rfc3339

Waive = Callable[[Finding], AppliedWaiver | None]
"""Returns the waiver that covers a finding, or None. A waiver with a ``controls`` list
waives the finding for those ``pack:control`` ids only (see ``apply_waiver``)."""


class ResourceKey(TypedDict):
    """The resource a violation names, as a finding shows it."""

    id: str
    kind: str
    name: str
    namespace: str | None


class Seed(TypedDict):
    """A violation resolved against its resource (``severity`` None: the check's): what a
    Finding is built from, and what the result cache stores."""

    check: str
    severity: str | None
    message: str
    path: str | None
    file: str
    line: int
    resource: ResourceKey


class Row(TypedDict):
    """A finding identity's seed with its severity resolved, its ``controls`` (of every
    pack that reported it) and ``fingerprint``: what a Finding is built from, and what the
    result cache stores per unit (as JSON, these keys)."""

    check: str
    severity: str
    message: str
    path: str | None
    file: str
    line: int
    resource: ResourceKey
    controls: list[str]
    fingerprint: str


class Outcome(Protocol):
    """One engine query's result: the packs it answered for and their seeds (None when the
    query failed: those packs' controls are ``error``)."""

    @property
    def packs(self) -> Sequence[Pack]: ...

    @property
    def seeds(self) -> Sequence[Seed] | None: ...


@dataclass(frozen=True)
class RunFacts:
    """What a report says besides its findings: the same for a cold and a cached run."""

    now: datetime
    population: Sequence[Member]
    """Every resource of the run (ids unique), in input order."""
    duplicates: Sequence[SharedIdentity]
    """Each id several loaded objects shared, and the ids they have in the run."""
    parameters: dict[str, Any] | None
    errors: Sequence[LoadError]
    inputs: Sequence[InputRef]
    skipped: Sequence[Skipped]
    """Files that hold nothing evaluated, with the reason (the report's ``skipped``)."""
    failed_packs: set[str]
    """Packs whose engine query failed: their controls are ``error``."""
    exclusions: Mapping[str, str]
    """``pack:control`` -> reason: the controls scoped out in compliance.yaml."""
    notices: Sequence[BuildNotice] = ()
    """Folders that need a build step for a faithful result (the report's ``notices``)."""


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


class ReportBuilder:
    """Builds reports for one check library and set of packs. ``assessor`` says which
    checks read which kinds; ``reads_kind`` whether any module may read a kind at all (a
    resource of it no check assessed lacks a property, not a check)."""

    def __init__(
        self,
        engine: Engine,
        library: CheckLibrary,
        packs: Sequence[Pack],
        assessor: Assessor,
        reads_kind: Callable[[str], bool],
    ) -> None:
        self.engine = engine
        self.library = library
        self.packs = list(packs)
        self.assessor = assessor
        self.reads_kind = reads_kind

    def rows(self, outcomes: Iterable[Outcome]) -> list[Row]:
        """One row per finding identity over every query's seeds: the controls of every
        pack whose query reported it, its severity and fingerprint."""
        raw: dict[tuple[str, str, str | None, str], Seed] = {}
        controls_of: dict[tuple[str, str, str | None, str], set[str]] = defaultdict(set)
        for outcome in outcomes:
            if outcome.seeds is None:
                continue
            check_controls = controls_by_check(outcome.packs)
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
            finding = self._finding(row)
            waiver = waive(finding) if waive else None
            if waiver is not None:
                finding = apply_waiver(finding, waiver)
            findings.append(finding)
        found = _control_counts(f.controls for f in findings)
        open_ = found  # without waivers every finding is open for every control it names
        if waive is not None:
            open_ = Counter()
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

    def _finding(self, row: Row) -> Finding:
        """A finding from its row. Every field was checked (``evaluator.seeds_of``, or the
        cache wrote it from a checked row): built without validating thousands of findings
        again."""
        meta = self.library.checks[row["check"]]
        return trusted(
            Finding,
            {
                "check_id": meta.id,
                "title": meta.title,
                "severity": row["severity"],
                "status": "fail",
                "message": row["message"],
                "file": row["file"],
                "line": row["line"],
                "path": row["path"],
                "resource": trusted(ResourceRef, dict(row["resource"])),
                "controls": list(row["controls"]),
                "remediation": meta.remediation,
                "fingerprint": row["fingerprint"],
                "waiver": None,
                "waived_controls": [],
                "baseline": None,
            },
        )

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
                duplicates=sum(len(d.ids) for d in facts.duplicates),
                unassessed=seen.unassessed,
            ),
            controls=controls,
            resources=[trusted(ResourceEntry, values) for values in seen.resources],
            duplicates=[
                trusted(Duplicate, {"id": d.identity, "resources": list(d.ids)})
                for d in facts.duplicates
            ],
            findings=[],
            inputs=[],
            errors=list(facts.errors),
            skipped=[SkippedFile(file=s.file, reason=s.reason) for s in facts.skipped],
            notices=[
                Notice(folder=n.folder, command=n.command, message=n.message) for n in facts.notices
            ],
        )

    def _unassessed(self, kind: str) -> str:
        """Why no check assessed a resource of ``kind``."""
        if self.assessor.reads(kind):
            return NO_PROPERTY
        if self.reads_kind(kind):
            return CONTEXT
        return NO_CHECK

    def _control_result(
        self,
        pack: Pack,
        control: Control,
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


def _control_counts(controls: Iterable[Sequence[str]]) -> Counter[str]:
    """How many findings name each control, from each finding's controls: counted per
    distinct list (findings of one check mostly name the same ones)."""
    out: Counter[str] = Counter()
    for ids, count in Counter(tuple(c) for c in controls).items():
        for control in ids:
            out[control] += count
    return out


_RANK: dict[str, int] = {s: -severity_rank(s) for s in SEVERITIES}


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


def apply_waiver(finding: Finding, waiver: AppliedWaiver) -> Finding:
    """Unscoped, or scoped to every control of the finding: ``waived``. Scoped to some of its
    controls: still ``fail`` (it counts for --fail-on), waived for those controls only."""
    scope = waiver.controls
    data = waiver.as_data()
    if not scope:
        return finding.model_copy(
            update={"status": "waived", "waiver": data, "waived_controls": list(finding.controls)}
        )
    covered = [c for c in finding.controls if c in scope]
    status = "waived" if len(covered) == len(finding.controls) else "fail"
    return finding.model_copy(update={"status": status, "waiver": data, "waived_controls": covered})
