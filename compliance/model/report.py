"""Findings, control results and the report: the stable JSON contract (DESIGN.md section 6)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from compliance.model.resource import LoadError

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
ControlStatus = Literal[
    "pass", "fail", "not_assessed", "not_applicable", "waived", "manual", "error"
]
CONTROL_STATUSES: tuple[ControlStatus, ...] = (
    "pass",
    "fail",
    "not_assessed",
    "not_applicable",
    "waived",
    "manual",
    "error",
)


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


class ResourceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    name: str
    namespace: str | None = None


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    check_id: str
    title: str = ""
    severity: Severity
    status: Literal["fail", "waived"] = "fail"
    message: str
    file: str
    line: int
    path: str | None = None
    resource: ResourceRef
    controls: list[str]
    """``pack:control`` ids, e.g. ``soc2:CC6.7``."""
    remediation: str = ""
    fingerprint: str
    """Stable across line shifts: check, resource id, field path and message."""
    waiver: dict[str, Any] | None = None
    waived_controls: list[str] = Field(default_factory=list)
    """Controls a scoped waiver covers; the finding stays ``fail`` for the others."""
    baseline: Literal["new", "unchanged"] | None = None


class ControlResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    pack: str
    control_id: str
    title: str
    status: ControlStatus
    evidence: Literal["automated", "partial", "manual"]
    checks: list[str]
    finding_count: int
    waived_count: int = 0
    assessed: dict[str, list[str]] = Field(default_factory=dict)
    """Per check of the control that observed something: the ids of the resources it
    assessed (DESIGN.md section 4)."""
    unassessed_checks: list[str] = Field(default_factory=list)
    """The control's checks that assessed no resource of the run."""
    reason: str | None = None
    """Why the control is ``not_applicable`` (the scoping decision in compliance.yaml)."""
    evidence_hint: str | None = None
    """From the pack: what human evidence a ``manual`` or ``partial`` control needs."""


class ResourceEntry(BaseModel):
    """One loaded resource in the report's population (``resources``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    name: str
    namespace: str | None = None
    file: str
    line: int
    format: str
    assessed_by: list[str]
    """The checks that observed this resource (empty: no check assessed it)."""


class Duplicate(BaseModel):
    """Objects that share one identity (kind, namespace, name; a Terraform address):
    each keeps its own id, made of the identity, its file and its position there."""

    model_config = ConfigDict(frozen=True)

    id: str
    resources: list[str]


class PackRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    framework: str
    digest: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class InputRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    format: str
    sha256: str
    resources: int


class SkippedFile(BaseModel):
    """A file that holds nothing evaluated (a tool's configuration, a template, a patch)."""

    model_config = ConfigDict(frozen=True)

    file: str
    reason: str


class Notice(BaseModel):
    """A folder whose faithful evaluation needs a build step, and the command for it."""

    model_config = ConfigDict(frozen=True)

    folder: str
    command: str
    message: str


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    resources: int
    findings: int
    waived: int = 0
    by_severity: dict[str, int]
    controls: dict[str, int]
    duplicates: int = 0
    """Resources whose identity another resource of the run shares (see ``duplicates``)."""
    unassessed: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per kind, the resources no check assessed: ``{"count": N, "reason": "..."}``."""


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    tool: dict[str, str]
    engine: dict[str, str]
    evaluated_at: str
    packs: list[PackRef]
    summary: Summary
    controls: list[ControlResult]
    resources: list[ResourceEntry] = Field(default_factory=list)
    """Every loaded resource: the population an auditor samples from."""
    duplicates: list[Duplicate] = Field(default_factory=list)
    findings: list[Finding]
    inputs: list[InputRef] = Field(default_factory=list)
    errors: list[LoadError] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
    """Additions from later stages (waivers, baseline), keyed by feature."""

    def exit_code(self, fail_on: str = "high", fail_on_control_status: Collection[str] = ()) -> int:
        """0 clean, 1 an unwaived, non-baseline finding at or above ``fail_on`` or a control
        in one of ``fail_on_control_status``, 3 errors."""
        statuses = {c.status for c in self.controls}
        if self.errors or "error" in statuses:
            return 3
        if any(s in fail_on_control_status for s in statuses):
            return 1
        if fail_on == "none":
            return 0
        threshold = severity_rank(fail_on)
        return int(
            any(
                severity_rank(f.severity) >= threshold
                for f in self.findings
                if f.status == "fail" and f.baseline != "unchanged"
            )
        )
