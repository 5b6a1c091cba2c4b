"""Governed waivers: the waiver file model and matching findings against it.

A waiver names a check, a resource glob (on the resource id or name), an optional scope of
``pack:control`` ids, a reason, an approver and an expiry date. ``WaiverSet.waive`` is the
callback ``Evaluator.evaluate`` takes; ``WaiverSet.summary`` says which waivers applied, which
expired and which matched nothing (stale).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from compliance.errors import UsageError
from compliance.inputs.yamlutil import YamlError, load_documents
from compliance.model import Report
from compliance.model.report import Finding
from compliance.model.waiver import AppliedWaiver


class Waiver(BaseModel):
    # defer_build: schema built on first use (a run with no such file builds none)
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    check: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    """Glob (``fnmatch``, case-sensitive) on the resource id or name."""
    controls: list[str] | None = None
    """Scope: ``pack:control`` ids; the finding stays open for its other controls."""
    reason: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    expires: date
    """Last day the waiver applies."""

    @field_validator("controls")
    @classmethod
    def _scoped_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("must list at least one pack:control id (or be omitted)")
        for item in value:
            pack, sep, control = item.partition(":")
            if not sep or not pack or not control or item != item.strip():
                raise ValueError(f"{item!r} is not a pack:control id (e.g. soc2:CC6.8)")
        return value

    @field_validator("check", "resource", "reason", "approved_by")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class WaiverFile(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    waivers: list[Waiver]


@dataclass(frozen=True)
class LoadedWaiver:
    waiver: Waiver
    source: str
    """``file:line`` of the entry."""

    def as_dict(self) -> dict[str, Any]:
        return self.applied(self.waiver.controls).as_data()

    def applied(self, controls: Sequence[str] | None) -> AppliedWaiver:
        """This entry as it covers a finding, for ``controls`` (None: every control)."""
        w = self.waiver
        return AppliedWaiver(
            check=w.check,
            resource=w.resource,
            controls=None if controls is None else tuple(controls),
            reason=w.reason,
            approved_by=w.approved_by,
            expires=w.expires.isoformat(),
            source=self.source,
        )


def parse_waivers(text: str, file: str, *, key_required: bool = True) -> list[LoadedWaiver]:
    """Parse a waiver file (a mapping with a ``waivers`` list). Errors are UsageError naming
    ``file``, the line and the entry (``waivers[2].expires``)."""
    try:
        docs = load_documents(text)
    except YamlError as e:
        raise UsageError(e.message, file=file, line=e.line) from e
    if len(docs) != 1 or not isinstance(docs[0].value, dict):
        raise UsageError("a waiver file is one YAML mapping with a `waivers:` list", file=file)
    doc = docs[0]
    if "waivers" not in doc.value:
        if key_required:
            raise UsageError("no `waivers:` list", file=file, line=doc.line)
        return []
    try:
        parsed = WaiverFile.model_validate({"waivers": doc.value["waivers"]})
    except ValidationError as e:
        problems = e.errors()
        first = problems[0]
        where = _location(first["loc"])
        line = doc.lines.get(where) or doc.lines.get(where.rpartition(".")[0]) or doc.line
        details = "; ".join(_problem(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise UsageError(f"invalid waiver at {details}{more}", file=file, line=line) from e
    return [
        LoadedWaiver(w, f"{file}:{doc.lines.get(f'waivers[{i}]', doc.line)}")
        for i, w in enumerate(parsed.waivers)
    ]


def _problem(error: Any) -> str:
    value = error.get("input")
    shown = (
        f" (got {value!r})"
        if error["type"] != "missing" and not isinstance(value, dict | list)
        else ""
    )
    return f"{_location(error['loc'])}: {error['msg']}{shown}"


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def project_relative(path: Path) -> str:
    """``path`` as reports name it: relative to the project (the current directory) when
    it lies under it, so no report carries the machine's absolute paths."""
    if path.is_absolute():
        try:
            return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except (ValueError, OSError):
            return str(path)
    return path.as_posix()


def located_in(waivers: list[LoadedWaiver], name: str) -> list[LoadedWaiver]:
    """``waivers`` with each ``source`` naming the file ``name`` (same line)."""
    return [LoadedWaiver(lw.waiver, f"{name}:{lw.source.rpartition(':')[2]}") for lw in waivers]


def load_waivers(path: Path) -> list[LoadedWaiver]:
    """The waivers of ``path``; errors name the path as given, each waiver's ``source``
    names it relative to the project."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read waiver file: {e}", file=str(path)) from e
    return located_in(parse_waivers(text, str(path)), project_relative(path))


@dataclass
class WaiverSet:
    """Matches findings against waivers valid on ``today`` and records what matched."""

    waivers: list[LoadedWaiver]
    today: date
    applied: dict[int, list[str]] = field(default_factory=dict)
    """Waiver index -> fingerprints of the findings it waived."""
    expired_hits: dict[int, list[str]] = field(default_factory=dict)
    """Expired waiver index -> fingerprints it would have waived."""

    def expired(self, index: int) -> bool:
        return self.waivers[index].waiver.expires < self.today

    def waive(self, finding: Finding) -> AppliedWaiver | None:
        """The ``waive`` callback for ``Evaluator.evaluate``.

        Several waivers may match one finding: an unscoped one wins; otherwise the scopes are
        merged and the first matching waiver is returned with the merged scope.
        """
        hits = [i for i, lw in enumerate(self.waivers) if matches(lw.waiver, finding)]
        live = [i for i in hits if not self.expired(i)]
        for i in hits:
            if self.expired(i):
                self.expired_hits.setdefault(i, []).append(finding.fingerprint)
        if not live:
            return None
        for i in live:
            self.applied.setdefault(i, []).append(finding.fingerprint)
        unscoped = [i for i in live if self.waivers[i].waiver.controls is None]
        if unscoped:
            return self.waivers[unscoped[0]].applied(None)
        scope = sorted({c for i in live for c in self.waivers[i].waiver.controls or ()})
        return self.waivers[live[0]].applied(scope)

    def summary(self) -> dict[str, list[dict[str, Any]]]:
        applied, expired, stale = [], [], []
        for i, lw in enumerate(self.waivers):
            if self.expired(i):
                expired.append({**lw.as_dict(), "would_match": len(self.expired_hits.get(i, []))})
            elif i in self.applied:
                applied.append({**lw.as_dict(), "findings": sorted(self.applied[i])})
            else:
                stale.append(lw.as_dict())
        return {"applied": applied, "expired": expired, "stale": stale}

    def annotate(self, report: Report) -> Report:
        """``report`` with ``extra["waivers"]`` set to :meth:`summary`."""
        return report.model_copy(update={"extra": {**report.extra, "waivers": self.summary()}})


def matches(waiver: Waiver, finding: Finding) -> bool:
    if waiver.check != finding.check_id:
        return False
    ref = finding.resource
    if not (
        fnmatch.fnmatchcase(ref.id, waiver.resource)
        or fnmatch.fnmatchcase(ref.name, waiver.resource)
    ):
        return False
    return waiver.controls is None or any(c in finding.controls for c in waiver.controls)
