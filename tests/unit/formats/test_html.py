"""HTML report: self-contained, escaped, every control with status and its evidence."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from compliance.formats import html
from compliance.formats.view import control_anchor
from compliance.model import Report
from compliance.model.waiver import AppliedWaiver
from tests.conftest import applied
from tests.unit.formats.conftest import ROOT, Evaluate


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.rows: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if a.get("src"):
            self.srcs.append(a["src"] or "")
        if tag == "link":
            self.links.append(a.get("href") or "")
        if tag == "tr" and a.get("class") == "control":
            self.rows[a["id"] or ""] = a.get("data-status") or ""


def waive_ctr(f: Any) -> AppliedWaiver | None:
    return (
        applied("CTR-01", "base image <b>rebuild</b> scheduled") if f.check_id == "CTR-01" else None
    )


@pytest.fixture
def report(evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(ROOT)
    return evaluate("examples/bpi", waive=waive_ctr)


def parse(text: str) -> Collector:
    c = Collector()
    c.feed(text)
    return c


def test_self_contained_no_external_assets(report: Report) -> None:
    text = html.render(report)
    page = parse(text)
    assert page.srcs == [] and page.links == []
    assert all(h.startswith("#") for h in page.hrefs), [
        h for h in page.hrefs if not h.startswith("#")
    ]
    assert "<style>" in text
    assert not re.search(r"url\(|@import|https?://[^\s\"<]*\.(css|js)", text)


def test_every_control_has_a_row_with_its_status_and_every_link_resolves(report: Report) -> None:
    page = parse(html.render(report))
    for c in report.controls:
        assert page.rows[control_anchor(f"{c.pack}:{c.control_id}")] == c.status
    missing = [h for h in page.hrefs if h[1:] not in page.ids]
    assert missing == []


def test_findings_appear_under_their_controls_with_location(report: Report) -> None:
    text = html.render(report)
    failing = next(c for c in report.controls if c.status == "fail")
    row = text.split(f'id="{control_anchor(f"{failing.pack}:{failing.control_id}")}"', 1)[1].split(
        "</tr>", 1
    )[0]
    finding = next(
        f
        for f in report.findings
        if f"{failing.pack}:{failing.control_id}" in f.controls and f.status == "fail"
    )
    assert finding.check_id in row
    assert f"{finding.file}:{finding.line}" in row.replace("<wbr>", "")  # break points only


def test_waivers_show_the_justification_escaped(report: Report) -> None:
    text = html.render(report)
    assert "base image &lt;b&gt;rebuild&lt;/b&gt; scheduled" in text
    assert "<b>rebuild</b>" not in text
    assert 'id="waivers"' in text


def test_messages_are_escaped(report: Report) -> None:
    f = report.findings[0].model_copy(update={"message": '<script>alert("x")</script>'})
    evil = report.model_copy(update={"findings": [f, *report.findings[1:]]})
    text = html.render(evil)
    assert '<script>alert("x")</script>' not in text
    assert "&lt;script&gt;" in text


def test_inputs_with_digests_and_verify_instructions(report: Report) -> None:
    text = html.render(report)
    for i in report.inputs:
        assert i.sha256 in text and i.file in text
    assert "compliance evidence verify" in text
    for p in report.packs:
        assert p.digest in text
