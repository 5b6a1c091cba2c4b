"""Terminal summary: per framework, control counts; then findings with file:line."""

from __future__ import annotations

import io
import os
import shutil

from rich.console import Console
from rich.table import Table
from rich.text import Text

from compliance.formats.view import STATUS_LABEL, STATUS_MEANING
from compliance.model import Report
from compliance.model.report import CONTROL_STATUSES

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "error": "bold magenta",
    "waived": "blue",
    "manual": "dim",
    "not_assessed": "yellow",
    "not_applicable": "dim",
}
COLUMN = {"not_assessed": "not assessed", "not_applicable": "n/a"}
SKIPPED_SHOWN = 20
"""Skipped files listed on the terminal; the JSON report lists them all."""


def render(report: Report, *, color: bool | None = None, width: int | None = None) -> str:
    buffer = io.StringIO()
    if color is None:
        color = os.environ.get("FORCE_COLOR") is not None
    width = width or shutil.get_terminal_size(fallback=(120, 24)).columns
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=max(width, 80), highlight=False
    )

    frameworks = Table(title="Controls by framework", title_justify="left", expand=False)
    frameworks.add_column("pack")
    frameworks.add_column("framework")
    for status in CONTROL_STATUSES:
        frameworks.add_column(COLUMN.get(status, status), justify="right")
    for pack in report.packs:
        counts = dict.fromkeys(CONTROL_STATUSES, 0)
        for c in report.controls:
            if c.pack == pack.name:
                counts[c.status] += 1
        frameworks.add_row(
            f"{pack.name} {pack.version}",
            pack.framework,
            *(
                Text(str(counts[s]), style=STATUS_STYLE[s] if counts[s] else "")
                for s in CONTROL_STATUSES
            ),
        )
    console.print(frameworks)
    for s in CONTROL_STATUSES:
        console.print(
            Text.assemble((f"  {STATUS_LABEL[s]}", STATUS_STYLE[s]), f": {STATUS_MEANING[s]}")
        )

    if report.findings:
        findings = Table(
            title=f"Findings ({report.summary.findings} open, {report.summary.waived} waived)",
            title_justify="left",
        )
        findings.add_column("severity")
        findings.add_column("check")
        findings.add_column("location", no_wrap=True)
        findings.add_column("finding", overflow="fold", ratio=1)
        for f in report.findings:
            severity = Text(f.severity, style=SEVERITY_STYLE[f.severity])
            if f.status == "waived":
                severity = Text(f"{f.severity} (waived)", style="blue")
            what = Text.assemble((f"{f.resource.kind}/{f.resource.name}", "dim"), "\n", f.message)
            findings.add_row(severity, f.check_id, f"{f.file}:{f.line}", what)
        console.print(findings)
    else:
        console.print(Text("No findings.", style="green"))

    if report.errors:
        console.print(
            Text(
                f"Errors ({len(report.errors)}): these inputs were not (fully) evaluated",
                style="bold magenta",
            )
        )
        for e in report.errors:
            where = f"{e.file}:{e.line}" if e.line else e.file
            console.print(f"  {where}: {e.message}", markup=False)

    for n in report.notices:
        console.print(Text.assemble(("Notice", "bold yellow"), f" {n.folder}: {n.message}"))
        console.print(f"  run: {n.command}", markup=False)
    if report.skipped:
        console.print(
            f"Skipped ({len(report.skipped)}): nothing to evaluate in these files (not errors)",
            markup=False,
        )
        for sk in report.skipped[:SKIPPED_SHOWN]:
            console.print(f"  {sk.file}: {sk.reason}", markup=False)
        if len(report.skipped) > SKIPPED_SHOWN:
            more = len(report.skipped) - SKIPPED_SHOWN
            console.print(f"  ... and {more} more (see skipped[] in the JSON report)", markup=False)

    summary = report.summary
    unassessed = sum(u["count"] for u in summary.unassessed.values())
    shared = f" ({summary.duplicates} sharing an identity, each kept)" if summary.duplicates else ""
    console.print(
        f"Population: {summary.resources} resources{shared}, {unassessed} assessed by no check",
        markup=False,
    )
    for kind, u in summary.unassessed.items():
        console.print(f"  {kind}: {u['count']}, {u['reason']}", markup=False)

    by_sev = ", ".join(f"{n} {s}" for s, n in report.summary.by_severity.items() if n) or "none"
    console.print(
        f"{report.summary.resources} resources, {report.summary.findings} findings ({by_sev}); "
        f"engine {report.engine['name']}, evaluated at {report.evaluated_at}",
        markup=False,
    )
    return buffer.getvalue()
