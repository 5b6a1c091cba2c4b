"""Markdown report for pull requests."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.formats import markdown
from compliance.model import Report
from compliance.model.waiver import AppliedWaiver
from tests.conftest import applied
from tests.unit.formats.conftest import ROOT, Evaluate


def waive_ctr(f: Any) -> AppliedWaiver | None:
    return applied("CTR-01", "tracked in OPS-12") if f.check_id == "CTR-01" else None


@pytest.fixture
def report(evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(ROOT)
    return evaluate("examples/bpi", waive=waive_ctr)


def test_summary_line_and_framework_table(report: Report) -> None:
    text = markdown.render(report)
    fails = report.summary.controls["fail"]
    assert f"**{fails} of {len(report.controls)} controls fail**" in text
    for p in report.packs:
        assert f"`{p.name} {p.version}`" in text


def test_failing_controls_list_their_findings(report: Report) -> None:
    text = markdown.render(report)
    failing = next(c for c in report.controls if c.status == "fail")
    line = next(
        line
        for line in text.splitlines()
        if line.startswith(f"| **{markdown.md(failing.control_id)}**")
    )
    finding = next(
        f
        for f in report.findings
        if f"{failing.pack}:{failing.control_id}" in f.controls and f.status == "fail"
    )
    assert finding.check_id in line and f"{markdown.md(finding.file)}:{finding.line}" in line


def test_waivers_are_listed_with_justification(report: Report) -> None:
    text = markdown.render(report)
    assert "### Waivers" in text
    assert "tracked in OPS-12" in text


def test_table_cells_cannot_break_the_table_or_inject_html() -> None:
    assert markdown.md("a | b <img src=x>\nc") == "a \\| b \\<img src=x\\> c"
