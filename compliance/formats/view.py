"""What the human-readable formats show, computed once from a Report (no I/O)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from compliance.model import Report
from compliance.model.report import CONTROL_STATUSES, ControlResult, Finding, PackRef

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


SCORED = ("pass", "fail", "waived", "error", "not_assessed")
"""The statuses a framework's score counts: every automated control in scope."""

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")

ASSESSED_SHOWN = 25
"""Resource ids listed per check under a passing control (the rest are counted)."""

CONTROL_FINDINGS_SHOWN = 100
"""Open (and waived) findings listed under one control; the findings table lists them all."""


@dataclass(frozen=True)
class BundleInfo:
    """Where a rendered report sits: in a signed bundle (links to its ``inputs/``) or
    beside one (names it, no links)."""

    keyid: str
    members: dict[str, str] | None = None
    """Input file -> archive member (``inputs/...``), when the report is inside the bundle."""
    name: str | None = None
    """The bundle's file name, for a copy written beside it."""

    def link(self, file: str, line: int) -> str | None:
        """Relative link from ``report.html`` to the bundled copy of ``file`` at ``line``."""
        if self.members is None or file not in self.members:
            return None
        href = quote(self.members[file])  # a member name may hold "%", "#" or "?"
        return f"{href}#L{line}" if line else href


def anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts)


def justification(waiver: dict[str, Any] | None) -> str:
    """A finding's waiver reason (``AppliedWaiver.as_data``), empty without a waiver."""
    return str(waiver.get("reason") or "") if waiver else ""


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

    @property
    def scored(self) -> int:
        return sum(self.counts.get(s, 0) for s in SCORED)

    @property
    def score(self) -> int | None:
        """Percent of the automated controls in scope that pass (None: none in scope)."""
        if not self.scored:
            return None
        return round(100 * self.counts.get("pass", 0) / self.scored)

    def bar(self, width: int = 240) -> list[tuple[str, int, int, int]]:
        """Segments of a stacked bar of the statuses: (status, count, x, width) in pixels."""
        total = sum(self.counts.values())
        out: list[tuple[str, int, int, int]] = []
        x = 0
        shown = [s for s in CONTROL_STATUSES if self.counts.get(s)]
        for i, s in enumerate(shown):
            n = self.counts[s]
            w = width - x if i == len(shown) - 1 else round(width * n / total)
            out.append((s, n, x, w))
            x += w
        return out


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
    env.filters["breakable"] = breakable
    return env


def waiver_rows(report: Report) -> list[dict[str, Any]]:
    """Every waiver of the run with its state: applied, expired or stale (matched nothing)."""
    summary = report.extra.get("waivers") or {}
    rows = []
    for state in ("expired", "stale", "applied"):
        for w in summary.get(state) or []:
            if isinstance(w, dict):
                rows.append({**w, "state": state})
    return rows


def filter_values(report: Report) -> dict[str, list[str]]:
    """The distinct values of each findings-table filter, in display order."""
    present = {f.severity for f in report.findings}
    return {
        "severity": [s for s in SEVERITY_ORDER if s in present],
        "framework": sorted({k.partition(":")[0] for f in report.findings for k in f.controls}),
        "check": sorted({f.check_id for f in report.findings}),
        "file": sorted({f.file for f in report.findings}),
        "status": [s for s in ("fail", "waived") if any(f.status == s for f in report.findings)],
    }


def packs_of(f: Finding) -> str:
    """The packs whose controls a finding names, space-separated (a filter value)."""
    return " ".join(sorted({k.partition(":")[0] for k in f.controls}))


def waiver_details(waiver: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A waiver's fields beside its justification and what it matched (check, resource),
    as (label, text); none empty, ``None`` never shown."""
    out = []
    for key, value in (waiver or {}).items():
        if key in ("justification", "reason", "check", "resource") or value in (None, [], ""):
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        out.append((key.replace("_", " "), text))
    if waiver and waiver.get("controls") is None and "check" in waiver:
        out.append(("controls", "all its controls"))
    return out


def breakable(text: str) -> Markup:
    """``text`` escaped, with a line-break opportunity after each ``/`` and ``:`` (paths
    and resource ids wrap at their separators, not mid-name)."""
    out = str(escape(text))
    for sep in ("/", ":"):
        out = out.replace(sep, sep + "<wbr>")
    return Markup(out)


def controls_by_pack(f: Finding) -> list[tuple[str, list[tuple[str, str]]]]:
    """A finding's controls grouped by pack: (pack, [(``pack:control``, control id)])."""
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in f.controls:
        pack, _, control = key.partition(":")
        grouped[pack].append((key, control))
    return sorted(grouped.items())


def locator(bundle: BundleInfo | None) -> Any:
    """``location(file, line)``: ``file:line`` as HTML, a link to the bundled input when
    the report sits inside a bundle."""

    def location(file: str, line: int) -> Markup:
        text = breakable(f"{file}:{line}" if line else file)
        href = bundle.link(file, line) if bundle else None
        if href is None:
            return Markup('<code class="loc">{}</code>').format(text)
        return Markup('<a class="loc" href="{}"><code>{}</code></a>').format(href, text)

    return location


def context(report: Report, bundle: BundleInfo | None = None) -> dict[str, Any]:
    active = [f for f in report.findings if f.status == "fail"]
    waived = [f for f in report.findings if f.status == "waived"]
    return {
        "report": report,
        "frameworks": frameworks(report),
        "active": active,
        "waived": waived,
        "total_controls": len(report.controls),
        "unassessed_total": sum(u["count"] for u in report.summary.unassessed.values()),
        "bundle": bundle,
        "waiver_rows": waiver_rows(report),
        "baseline": report.extra.get("baseline"),
        "filters": filter_values(report),
        "severity_rank": {s: i for i, s in enumerate(SEVERITY_ORDER)},
        "assessed_shown": ASSESSED_SHOWN,
        "control_findings_shown": CONTROL_FINDINGS_SHOWN,
        "scored_statuses": SCORED,
        "location": locator(bundle),
        "packs_of": packs_of,
        "waiver_details": waiver_details,
        "controls_by_pack": controls_by_pack,
    }
