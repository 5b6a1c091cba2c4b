"""Markdown report for pull requests: summary, failing controls with their findings."""

from __future__ import annotations

import re

from compliance.formats.view import context, environment
from compliance.model import Report

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(value: object) -> str:
    """Escape text for a Markdown table cell or line (no HTML, no formatting, one line)."""
    text = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", text)


def render(report: Report) -> str:
    env = environment(autoescape=False)
    env.filters["md"] = md
    return env.get_template("report.md.j2").render(**context(report))
