"""Self-contained HTML report for auditors (inline CSS, no external assets)."""

from __future__ import annotations

from compliance.formats.view import context, environment
from compliance.models import Report


def render(report: Report) -> str:
    return environment(autoescape=True).get_template("report.html.j2").render(**context(report))
