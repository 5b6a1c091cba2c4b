"""What the human-readable reports show beyond statuses: the findings table's filter values,
links into a bundle, covered resources, waiver states, baseline counts, scores, manual
evidence hints, skipped files and notices (HTML, Markdown and the terminal table)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from compliance.baseline import Baseline, apply_baseline
from compliance.formats import html, markdown, table
from compliance.formats.view import BundleInfo, control_anchor, frameworks
from compliance.model import Report
from compliance.model.members import input_member
from compliance.model.report import Notice, SkippedFile
from compliance.project import find_project
from compliance.waivers import WaiverSet, load_waivers, parse_waivers
from tests.unit.formats.conftest import NOW, ROOT, Evaluate

KEYID = "ab" * 32

WAIVERS = """waivers:
  - check: CTR-01
    resource: "*"
    reason: base image rebuild scheduled
    approved_by: ciso
    expires: 2027-01-01
  - check: NET-02
    resource: nothing-matches-this
    reason: kept from an old review
    approved_by: ciso
    expires: 2027-01-01
  - check: SEC-01
    resource: "*"
    reason: rotated by hand
    approved_by: ciso
    expires: 2026-01-31
"""


class Rows(HTMLParser):
    """Attributes of each findings-table row and the options of each filter."""

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[dict[str, str]] = []
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "finding" in a.get("class", "").split() and "data-severity" in a:
            self.findings.append(a)
        if tag == "select":
            self._select = a.get("data-filter")
            self.options[self._select or ""] = []
        if tag == "option" and self._select:
            self.options[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


@pytest.fixture
def report(evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(ROOT)
    waivers = WaiverSet(parse_waivers(WAIVERS, "compliance.yaml"), NOW.date())
    return waivers.annotate(evaluate("examples/bpi", waive=waivers.waive))


def section(text: str, name: str) -> str:
    return text.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def control_row(text: str, key: str) -> str:
    return text.split(f'id="{control_anchor(key)}"', 1)[1].split("</tr>", 1)[0]


def test_standalone_report_does_not_claim_a_bundle(report: Report) -> None:
    text = html.render(report)
    assert "Standalone report (not signed)" in text
    assert "Signed evidence bundle" not in text and "one file of a signed" not in text
    assert "signer key id" not in text
    assert 'href="inputs/' not in text
    f = report.findings[0]
    loc = f"{f.file}:{f.line}".replace("/", "/<wbr>").replace(":", ":<wbr>")
    assert f'<code class="loc">{loc}</code>' in text


def test_inside_a_bundle_every_file_line_links_to_the_bundled_input(report: Report) -> None:
    members = {i.file: input_member(i.file) for i in report.inputs}
    text = html.render(report, bundle=BundleInfo(KEYID, members))
    hrefs = set(re.findall(r'href="(inputs/[^"]+)"', text))
    for f in report.findings:
        assert f"{members[f.file]}#L{f.line}" in hrefs
    assert {h.partition("#")[0] for h in hrefs} <= set(members.values())
    assert text.count(KEYID) >= 2  # header and how-to-verify
    assert "Standalone" not in text and "not signed" not in text


def test_a_copy_beside_the_bundle_names_it_and_its_signer_without_links(report: Report) -> None:
    text = html.render(report, bundle=BundleInfo(KEYID, name="bpi-evidence.tar.gz"))
    assert KEYID in text and "bpi-evidence.tar.gz" in text
    assert 'href="inputs/' not in text and "not signed" not in text


def test_findings_table_rows_carry_every_filter_value(report: Report) -> None:
    page = Rows()
    page.feed(html.render(report))
    assert len(page.findings) == len(report.findings)
    by_id = {row["id"]: row for row in page.findings}
    for f in report.findings:
        row = by_id[f"finding-{f.fingerprint}"]
        assert row["data-severity"] == f.severity and row["data-status"] == f.status
        assert row["data-check"] == f.check_id and row["data-file"] == f.file
        assert row["data-line"] == str(f.line)
        assert set(row["data-framework"].split()) == {k.split(":")[0] for k in f.controls}
    assert page.options["severity"][1:] == [
        s
        for s in ("critical", "high", "medium", "low", "info")
        if s in {f.severity for f in report.findings}
    ]
    assert page.options["check"][1:] == sorted({f.check_id for f in report.findings})
    assert page.options["file"][1:] == sorted({f.file for f in report.findings})
    assert page.options["framework"][1:] == sorted({p.name for p in report.packs})
    assert page.options["status"][1:] == ["fail", "waived"]
    assert all(values[0] == "" for values in page.options.values())  # "all"


def test_passing_controls_list_the_resources_they_covered(report: Report) -> None:
    text = html.render(report)
    passing = [c for c in report.controls if c.status == "pass"]
    assert passing
    for c in passing:
        row = control_row(text, f"{c.pack}:{c.control_id}")
        covered = {rid for ids in c.assessed.values() for rid in ids}
        assert f"Covered {len(covered)} resource" in row
        for check, ids in c.assessed.items():
            assert f"<code>{check}</code> assessed" in row
            for rid in ids[:25]:
                assert f"<code>{rid}</code>" in row


def test_markdown_says_what_passing_controls_covered(report: Report) -> None:
    md = markdown.render(report)
    for c in (c for c in report.controls if c.status == "pass"):
        line = next(x for x in md.splitlines() if x.startswith(f"| {markdown.md(c.control_id)} |"))
        for check, ids in c.assessed.items():
            assert f"{check} assessed {len(ids)}" in line


def test_not_assessed_controls_say_no_check_observed_anything(
    evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - {name: web, image: nginx:1.27}\n"
    )
    monkeypatch.chdir(tmp_path)
    bare = evaluate("web.yaml")
    text = html.render(bare)
    unseen = [c for c in bare.controls if c.status == "not_assessed"]
    assert unseen
    for c in unseen:
        row = control_row(text, f"{c.pack}:{c.control_id}")
        assert "Not assessed: no check of this control" in row
        assert "not evidence of compliance" in row
        assert "Covered" not in row


def test_waivers_show_expired_and_stale_never_none(report: Report) -> None:
    text = html.render(report)
    waivers = section(text, "waivers")
    states = re.findall(r'<tr class="waiver" data-state="(\w+)"', waivers)
    assert sorted(states) == ["applied", "expired", "stale"]
    assert "None" not in waivers
    assert "all its controls" in waivers
    assert "<code>compliance.yaml:" in waivers
    summary = section(text, "summary")
    assert re.search(r'waivers-expired"><div class="n">1<', summary)
    assert re.search(r'waivers-stale"><div class="n">1<', summary)


def test_waiver_file_paths_are_relative_to_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policy").mkdir()
    path = tmp_path / "policy" / "waivers.yaml"
    path.write_text(WAIVERS)
    monkeypatch.chdir(tmp_path)
    loaded = load_waivers(path.resolve())
    assert [w.source for w in loaded] == [
        "policy/waivers.yaml:2",
        "policy/waivers.yaml:7",
        "policy/waivers.yaml:12",
    ]
    (tmp_path / "ci").mkdir()
    project = tmp_path / "ci" / "compliance.yaml"
    project.write_text(WAIVERS)
    from_project = find_project(project.resolve()).loaded_waivers()
    assert [w.source for w in from_project] == [
        "ci/compliance.yaml:2",
        "ci/compliance.yaml:7",
        "ci/compliance.yaml:12",
    ]


def test_baseline_new_and_fixed_counts(report: Report) -> None:
    known = frozenset(f.fingerprint for f in report.findings[:5]) | {"gone-1", "gone-2"}
    text = html.render(apply_baseline(report, Baseline("main.json", known)))
    summary = section(text, "summary")
    assert re.search(rf'baseline-new"><div class="n">{len(report.findings) - 5}<', summary), summary
    assert re.search(r'baseline-fixed"><div class="n">2<', summary)
    assert "<code>main.json</code>" in summary
    assert section(text, "findings").count('<span class="tag warn">new</span>') == (
        len(report.findings) - 5
    )


def test_per_framework_score_and_status_chart(report: Report) -> None:
    text = html.render(report)
    for fw in frameworks(report):
        row = text.split(f'<tr class="framework" data-pack="{fw.pack.name}">', 1)[1]
        row = row.split("</tr>", 1)[0]
        scored = sum(fw.counts[s] for s in ("pass", "fail", "waived", "error", "not_assessed"))
        assert f"{round(100 * fw.counts['pass'] / scored)}%" in row
        rects = re.findall(r'<rect class="s-(\w+)" x="(\d+)" y="0" width="(\d+)"', row)
        assert {s for s, _, _ in rects} == {s for s, n in fw.counts.items() if n}
        assert sum(int(w) for _, _, w in rects) == 160
    assert "@media print" in text and "details::details-content" in text


def test_manual_controls_say_what_evidence_to_provide(report: Report) -> None:
    manual = [c for c in report.controls if c.status == "manual"]
    assert manual and all(c.evidence_hint for c in manual)
    text = html.render(report)
    md = markdown.render(report)
    for c in manual:
        assert c.evidence_hint is not None
        row = control_row(text, f"{c.pack}:{c.control_id}")
        assert f"Evidence to provide:</strong> {c.evidence_hint}" in row
        assert f"evidence to provide: {markdown.md(c.evidence_hint)}" in md


@pytest.fixture
def with_skipped(report: Report) -> Report:
    return report.model_copy(
        update={
            "skipped": [
                SkippedFile(file="deploy/kustomization.yaml", reason="a kustomize configuration"),
                SkippedFile(file="tsconfig.json", reason="a tool's configuration"),
            ],
            "notices": [
                Notice(
                    folder="deploy/overlays/prod",
                    command="kustomize build deploy/overlays/prod | compliance evaluate -",
                    message="deploy/overlays/prod is a kustomize overlay",
                )
            ],
        }
    )


def test_skipped_files_and_notices_in_every_human_format(with_skipped: Report) -> None:
    text = html.render(with_skipped)
    skipped = section(text, "skipped")
    md = markdown.render(with_skipped)
    term = table.render(with_skipped, width=160)
    for out in (skipped, md, term):
        assert "kustomization.yaml" in out and "a kustomize configuration" in out
        assert "tsconfig.json" in out
        assert "kustomize build deploy/overlays/prod | compliance evaluate -" in out.replace(
            "\\", ""
        )
    assert 'href="#skipped"' in text
    assert "Skipped (2)" in term


def test_terminal_lists_at_most_twenty_skipped_files(report: Report) -> None:
    many = report.model_copy(
        update={"skipped": [SkippedFile(file=f"c{i:02}.json", reason="x") for i in range(25)]}
    )
    term = table.render(many, width=160)
    assert "c19.json" in term and "c20.json" not in term
    assert "and 5 more" in term


def test_a_control_lists_at_most_a_hundred_findings_the_table_all(report: Report) -> None:
    first = next(f for f in report.findings if f.status == "fail")
    key = first.controls[0]
    copies = [
        first.model_copy(update={"fingerprint": f"copy{i:03}", "line": i + 1}) for i in range(120)
    ]
    big = report.model_copy(update={"findings": [*report.findings, *copies]})
    text = html.render(big)
    row = control_row(text, key)
    open_here = [f for f in big.findings if key in f.controls and f.status == "fail"]
    waived_here = [f for f in big.findings if key in f.controls and f.status == "waived"]
    listed = row.count('<a href="#finding-')
    assert listed == 100
    more = len(open_here) - 100 + max(len(waived_here) - 100, 0)
    assert f"and {more} more: search the findings table" in row
    page = Rows()
    page.feed(text)
    assert len(page.findings) == len(big.findings)


def test_links_quote_member_names_that_hold_url_characters() -> None:
    bundle = BundleInfo(KEYID, {"a%b #1.yaml": "inputs/a%25b #1.yaml", "x.yaml": "inputs/x.yaml"})
    assert bundle.link("a%b #1.yaml", 3) == "inputs/a%2525b%20%231.yaml#L3"
    assert bundle.link("x.yaml", 0) == "inputs/x.yaml"
    assert bundle.link("elsewhere.yaml", 1) is None
    assert BundleInfo(KEYID).link("x.yaml", 1) is None
