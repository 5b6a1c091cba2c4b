"""What the human-readable formats show, computed once from a Report (no I/O)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2

from compliance.models import Report
from compliance.models.report import CONTROL_STATUSES, ControlResult, Finding, PackRef

STATUS_LABEL = {
    "pass": "Pass",
    "fail": "Fail",
    "not_assessed": "Not assessed",
    "not_applicable": "Not applicable",
    "waived": "Waived",
    "manual": "Manual",
    "error": "Error",
}


STATUS_MEANING = {
    "pass": "at least one automated check of the control assessed at least one resource, "
    "and nothing is open",
    "fail": "a check of the control has an open (unwaived) finding",
    "not_assessed": "in scope, but no check of the control observed anything it judges in "
    "these inputs (absence of evidence is not compliance)",
    "not_applicable": "scoped out in compliance.yaml (scope.exclude), with the reason given",
    "waived": "every finding of the control is waived",
    "manual": "needs human evidence; automated checks do not decide it",
    "error": "a check failed to run, or an input of a kind its checks read failed to load",
}
"""What each control status means: the legend of every human-readable format."""


def anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts)


def justification(waiver: dict[str, Any] | None) -> str:
    if not waiver:
        return ""
    for key in ("justification", "reason", "comment"):
        if isinstance(waiver.get(key), str) and waiver[key].strip():
            return str(waiver[key])
    return ""


@dataclass
class ControlView:
    result: ControlResult
    anchor: str
    findings: list[Finding]
    waived: list[Finding]

    @property
    def key(self) -> str:
        return f"{self.result.pack}:{self.result.control_id}"


@dataclass
class FrameworkView:
    pack: PackRef
    anchor: str
    controls: list[ControlView]
    counts: dict[str, int] = field(default_factory=dict)


def frameworks(report: Report) -> list[FrameworkView]:
    by_control: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        for key in f.controls:
            by_control[key].append(f)
    packs = {p.name: p for p in report.packs}
    grouped: dict[str, list[ControlView]] = defaultdict(list)
    for c in report.controls:
        key = f"{c.pack}:{c.control_id}"
        mine = by_control.get(key, [])
        grouped[c.pack].append(
            ControlView(
                result=c,
                anchor=control_anchor(key),
                findings=[f for f in mine if f.status == "fail"],
                waived=[f for f in mine if f.status == "waived"],
            )
        )
    out = []
    for name in sorted(grouped):
        pack = packs.get(name) or PackRef(name=name, version="?", framework=name, digest="")
        controls = grouped[name]
        counts: dict[str, int] = {
            s: sum(1 for c in controls if c.result.status == s) for s in CONTROL_STATUSES
        }
        out.append(FrameworkView(pack, anchor("framework", name), controls, counts))
    return out


def control_anchor(key: str) -> str:
    """``soc2:CC6.1`` -> the id of that control's row."""
    pack, _, control = key.partition(":")
    return anchor("control", pack, control)


def finding_anchor(f: Finding) -> str:
    return f"finding-{f.fingerprint}"


def _template_source(name: str) -> tuple[str, str, Any]:
    text = resources.files("compliance").joinpath("templates", name).read_text(encoding="utf-8")
    return text, name, lambda: True


def environment(*, autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        STATUS_LABEL=STATUS_LABEL,
        STATUS_MEANING=STATUS_MEANING,
        STATUSES=CONTROL_STATUSES,
        finding_anchor=finding_anchor,
        control_anchor=control_anchor,
        justification=justification,
    )
    return env


def context(report: Report) -> dict[str, Any]:
    active = [f for f in report.findings if f.status == "fail"]
    waived = [f for f in report.findings if f.status == "waived"]
    return {
        "report": report,
        "frameworks": frameworks(report),
        "active": active,
        "waived": waived,
        "total_controls": len(report.controls),
        "unassessed_total": sum(u["count"] for u in report.summary.unassessed.values()),
    }
