"""The auditors' portal over a ledger (``serve --ledger URL --store DIR``): three runs on three
days of a copy of examples/bpi with one fix between them, recorded by ``compliance evaluate``
into a real SQLite ledger (and a real PostgreSQL one) with their signed bundles in a real store.
The pages are read over HTTP on loopback and walked in headless Chromium."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.cli.main import cli
from compliance.ledger.decisions import LedgerDecisions
from compliance.server.bundles import StoreBundles
from tests.bpi_copy import bpi_with_key
from tests.browser import chromium, console_errors
from tests.integration.server_harness import AUDITOR_TOKEN, config, running

DAYS = ("2026-11-01", "2026-11-02", "2026-11-03")
SSH = "firewall rule ssh allows admin/database port(s) 22 from 0.0.0.0/0"


@dataclass
class Recorded:
    tmp: Path
    url: str
    store: Path
    key: Ed25519PrivateKey


def _fix_ssh(bpi: Path) -> None:
    node = bpi / "config" / "node.toml"
    text = node.read_text()
    head, sep, tail = text.partition('name = "ssh"')
    node.write_text(
        head + sep + tail.replace('sources = ["0.0.0.0/0"]', 'sources = ["10.20.0.0/16"]', 1)
    )


def _record(tmp: Path, url: str, with_store: bool = True) -> Recorded:
    """Day 1, the SSH rule fixed, days 2 and 3: each run signed, bundled, stored, recorded."""
    key, key_file = bpi_with_key(tmp)
    with contextlib.chdir(tmp):  # the report names inputs relative to the path given: bpi/...
        for i, day in enumerate(DAYS):
            if i == 1:
                _fix_ssh(tmp / "bpi")
            args = [
                "evaluate",
                "bpi",
                "--format",
                "json",
                "--fail-on",
                "none",
                "--no-cache",
                "--now",
                f"{day}T08:00:00Z",
                "--ledger",
                url,
                "--scope",
                "prod",
                "-o",
                str(tmp / f"{day}.json"),
            ]
            if with_store:
                args += [
                    "--bundle",
                    str(tmp / f"{day}.tar.gz"),
                    "--sign-key",
                    str(key_file),
                    "--store",
                    str(tmp / "store"),
                ]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
    return Recorded(tmp, url, tmp / "store", key)


@pytest.fixture(scope="module")
def sqlite(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    tmp = tmp_path_factory.mktemp("portal-ledger")
    return _record(tmp, f"sqlite:///{tmp / 'ledger.db'}")


@pytest.fixture
def served(sqlite: Recorded) -> Iterator[httpx.Client]:
    decisions = LedgerDecisions(sqlite.url, "prod")
    bundles = StoreBundles(sqlite.store, sqlite.key.public_key())
    try:
        with running(config(bundles=bundles, decision_ledger=decisions)) as c:
            yield c
    finally:
        decisions.close()


def _login(c: httpx.Client) -> None:
    r = c.post("/ui/login", data={"token": AUDITOR_TOKEN}, follow_redirects=False)
    assert r.status_code == 303


def _csv_rows(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(r.text)))


def test_runs_list_filters_and_pages_come_from_the_ledger(served: httpx.Client) -> None:
    c = served
    assert c.get("/ui/period", follow_redirects=False).headers["location"] == "/ui/login"
    _login(c)
    page = c.get("/ui/").text
    ids = re.findall(r'<a href="/ui/runs/(run-\d+)">', page)
    assert ids == ["run-3", "run-2", "run-1"]  # newest first
    # each run's signed bundle is in the store and linked
    assert len(re.findall(r'<a href="/ui/runs/[^r"][^"]*">', page)) == 3
    window = c.get("/ui/", params={"from": "2026-11-02", "to": "2026-11-02"}).text
    assert re.findall(r'<a href="/ui/runs/(run-\d+)">', window) == ["run-2"]
    other = c.get("/ui/", params={"scope": "staging"}).text
    assert "No runs match" in other
    passing = c.get("/ui/", params={"status": "pass"}).text
    assert "run-1" not in passing  # every bpi run has open findings
    bad = c.get("/ui/", params={"from": "yesterday"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    assert bad.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_ledger_run_links_findings_to_the_bundled_input_and_exports_csv(
    served: httpx.Client, sqlite: Recorded
) -> None:
    import json

    report = json.loads((sqlite.tmp / f"{DAYS[0]}.json").read_text())
    c = served
    _login(c)
    run1 = c.get("/ui/runs/run-1").text
    assert "scope prod" in run1 and 'class="ok">verified' in run1
    assert "164.312(e)(2)(ii)" in run1 and "ISO/IEC 27001:2022 Annex A" in run1
    link = re.search(r'href="(/ui/runs/([^/"]+)/inputs/bpi/config/node.toml)\?line=40#L40"', run1)
    assert link is not None, "NET-02 at node.toml:40 links into the stored bundle"
    source = c.get(link.group(1), params={"line": "40"}).text
    assert 'id="L40" class="line hit' in source and "0.0.0.0/0" in source
    run2 = c.get("/ui/runs/run-2").text
    assert "node.toml:40" not in run2  # fixed
    findings = _csv_rows(c.get("/ui/runs/run-1/findings.csv"))
    assert findings[0][:5] == ["check_id", "severity", "status", "file", "line"]
    assert any(r[0] == "NET-02" and r[4] == "40" for r in findings[1:])
    assert len(findings) == len(_csv_rows(c.get("/ui/runs/run-2/findings.csv"))) + 1
    population = _csv_rows(c.get("/ui/runs/run-1/population.csv"))
    assert population[0] == [
        "id",
        "kind",
        "name",
        "namespace",
        "file",
        "line",
        "format",
        "assessed_by",
    ]
    assert len(population) - 1 == report["summary"]["resources"]
    assert any("NET-02" in r[7] for r in population[1:])
    assert c.get("/ui/runs/run-99").status_code == 404


def test_period_view_heatmap_findings_sample_and_exports(served: httpx.Client) -> None:
    c = served
    _login(c)
    q = {"scope": "prod", "from": "2026-10-31", "to": "2026-11-04"}
    page = c.get("/ui/period", params=q)
    assert page.status_code == 200
    html = page.text
    svg = re.search(r'<svg [^>]*id="heatmap".*?</svg>', html, re.S)
    assert svg is not None
    cells = re.findall(r'<rect class="h-(\w+)"[^>]*><title>([^<]*)</title>', svg.group(0))
    day_marks = [t for cls, t in cells if cls in ("run", "norun")]
    assert [t[:10] for t in day_marks] == [
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
    ]
    assert [cls for cls, _ in cells[:5]] == ["norun", "run", "run", "run", "norun"]
    a820 = [cls for cls, t in cells if t.startswith("A.8.20 ")]
    assert a820 == ["no_evidence", "fail", "fail", "fail", "no_evidence"]
    assert "2026-10-31, 2026-11-04" in html  # days without runs
    # the SSH finding: first seen on day 1, fixed by day 2's run
    row = re.search(r"<tr class=\"sev-critical\">(?:(?!</tr>).)*node\.toml:40.*?</tr>", html, re.S)
    assert row is not None
    assert "2026-11-01T08:00:00Z" in row.group(0) and "2026-11-02T08:00:00Z" in row.group(0)
    assert 'id="period-sample"' in html and "seed 0" in html
    findings = _csv_rows(c.get("/ui/period/findings.csv", params=q))
    ssh = [r for r in findings[1:] if r[5] == "40" and r[2] == "NET-02"]
    assert ssh and ssh[0][7] == "2026-11-01T08:00:00Z" and ssh[0][8] == "2026-11-02T08:00:00Z"
    controls = _csv_rows(c.get("/ui/period/controls.csv", params=q))
    assert controls[0][-1] == "timeline"
    population = _csv_rows(c.get("/ui/period/population.csv", params=q))
    assert population[0] == ["run_id", "run_at", "resource_id", "check_id", "controls"]
    assert {r[0] for r in population[1:]} == {"run-1", "run-2", "run-3"}
    sample = _csv_rows(c.get("/ui/period/sample.csv", params=q))
    assert sample[0][:4] == ["pack", "control_id", "population", "size"] and len(sample) > 1
    again = _csv_rows(c.get("/ui/period/sample.csv", params=q))
    assert again == sample  # the same seed draws the same sample
    assert c.get("/ui/period/nothing.csv", params=q).status_code == 404
    backwards = c.get("/ui/period", params={"from": "2026-11-04", "to": "2026-11-01"})
    assert backwards.status_code == 400 and "before" in backwards.text
    defaults = c.get("/ui/period").text  # the latest run's scope, 30 days up to its day
    assert "Period: scope prod, 2026-10-05 to 2026-11-03" in defaults


def test_soa_lists_the_93_annex_a_controls_with_statuses_and_evidence(
    served: httpx.Client,
) -> None:
    c = served
    _login(c)
    html = c.get("/ui/soa", params={"pack": "iso27001", "scope": "prod"}).text
    rows = re.findall(r'<tr class="s-row-(\w+)">\s*<td class="cid">([^<]+)</td>', html)
    assert len(rows) == 93
    status = dict((cid, st) for st, cid in rows)
    assert status["A.8.20"] == "fail" and status["A.5.1"] == "not_assessed_by_tool"
    assert "the latest run of scope prod (run-3" in html
    soa = _csv_rows(c.get("/ui/soa.csv", params={"pack": "iso27001", "scope": "prod"}))
    assert len(soa) == 94 and soa[0][0] == "control_id"
    period = _csv_rows(
        c.get("/ui/soa.csv", params={"scope": "prod", "from": "2026-11-01", "to": "2026-11-02"})
    )
    a820 = next(r for r in period if r[0] == "A.8.20")
    assert a820[8] == "run-1 run-2"
    assert c.get("/ui/soa", params={"pack": "soc2"}).status_code == 400


def _synthetic(
    n: int, rid: str = "pod-{i}", file: str = "app-{i}.yaml", message: str = "m"
) -> dict[str, Any]:
    """A report of ``n`` resources, each with one failing finding of one soc2 control."""
    findings = [
        {
            "check_id": "X-1",
            "severity": "high",
            "status": "fail",
            "message": message,
            "file": file.format(i=i),
            "line": 1,
            "resource": {"id": rid.format(i=i), "kind": "Pod", "name": "p", "namespace": None},
            "controls": ["soc2:CC6.1"],
            "fingerprint": f"{i:032x}",
            "waiver": None,
        }
        for i in range(n)
    ]
    control = {
        "pack": "soc2",
        "control_id": "CC6.1",
        "title": "t",
        "status": "fail",
        "evidence": "automated",
        "checks": ["X-1"],
    }
    return {
        "evaluated_at": "2026-11-01T08:00:00Z",
        "packs": [{"name": "soc2", "version": "1", "framework": "SOC 2", "digest": "d"}],
        "summary": {"findings": n, "controls": {"fail": 1}},
        "controls": [control],
        "findings": findings,
        "resources": [
            {"id": rid.format(i=i), "kind": "Pod", "file": file.format(i=i), "line": 1}
            for i in range(n)
        ],
        "inputs": [],
    }


@contextmanager
def _serving(url: str, scope: str, data: dict[str, Any]) -> Iterator[httpx.Client]:
    from compliance.ledger.record import record_run
    from compliance.ledger.store import Ledger

    with Ledger(url) as led:
        record_run(led, data, scope=scope)
    decisions = LedgerDecisions(url, scope)
    try:
        with running(config(decision_ledger=decisions)) as c:
            _login(c)
            yield c
    finally:
        decisions.close()


def test_csv_exports_quote_cells_that_would_start_a_formula(tmp_path: Path) -> None:
    data = _synthetic(1, rid="@res", file="=cmd.yaml", message='=HYPERLINK("http://evil")')
    with _serving(f"sqlite:///{tmp_path / 'ledger.db'}", "+s", data) as c:
        text = c.get("/ui/runs/run-1/findings.csv").text
        assert "'=HYPERLINK" in text and "'=cmd.yaml" in text and "'@res" in text
        q = {"scope": "+s", "from": "2026-11-01", "to": "2026-11-01"}
        period = c.get("/ui/period/findings.csv", params=q).text
        assert "'@res" in period and "'=cmd.yaml" in period
        disposition = c.get("/ui/period/findings.csv", params=q).headers["content-disposition"]
        assert disposition == 'attachment; filename="period-_s-2026-11-01-2026-11-01-findings.csv"'
        population = c.get("/ui/period/population.csv", params=q).text
        assert "'@res" in population and "\n@res" not in population
        assert "'=cmd.yaml" in c.get("/ui/runs/run-1/population.csv").text


def test_a_large_run_shows_its_findings_and_population_a_page_at_a_time(tmp_path: Path) -> None:
    with _serving(f"sqlite:///{tmp_path / 'ledger.db'}", "big", _synthetic(250)) as c:
        first = c.get("/ui/runs/run-1").text
        table = re.search(r'<table class="grid" id="findings">.*?</table>', first, re.S)
        assert table is not None and table.group(0).count("<tr class=") == 100
        assert "1-100 of 250 (page 1 of 3)" in first
        assert 'href="?ppage=1&amp;fpage=2#findings-h"' in first
        assert 'href="?fpage=1&amp;ppage=2#population-h"' in first
        # a control's own list stops at 20 and points to the rest
        assert "and 230 more" in first
        last = c.get("/ui/runs/run-1", params={"fpage": "3", "ppage": "3"}).text
        table = re.search(r'<table class="grid" id="findings">.*?</table>', last, re.S)
        assert table is not None and table.group(0).count("<tr class=") == 50
        assert "201-250 of 250 (page 3 of 3)" in last and "app-249.yaml:1" in last
        population = re.search(r'<table class="grid" id="population">.*?</table>', last, re.S)
        assert population is not None and population.group(0).count("<tr><td>") == 50
        assert len(_csv_rows(c.get("/ui/runs/run-1/findings.csv"))) == 251
        beyond = c.get("/ui/runs/run-1", params={"fpage": "99"}).text
        assert "201-250 of 250" in beyond


def test_without_a_ledger_the_period_and_soa_say_so(tmp_path: Path) -> None:
    with running(config()) as c:
        _login(c)
        runs = c.get("/ui/").text
        assert 'href="/ui/period"' not in runs
        for page in ("/ui/period", "/ui/soa", "/ui/period/findings.csv"):
            r = c.get(page)
            assert r.status_code == 400 and "reads no ledger" in r.text, page


def test_postgresql_ledger_portal_over_http(pg_url: str, tmp_path: Path) -> None:
    recorded = _record(tmp_path, pg_url)
    decisions = LedgerDecisions(pg_url, "prod")
    bundles = StoreBundles(recorded.store, recorded.key.public_key())
    try:
        with running(config(bundles=bundles, decision_ledger=decisions)) as c:
            _login(c)
            ids = re.findall(r'<a href="/ui/runs/(run-\d+)">', c.get("/ui/").text)
            assert ids == ["run-3", "run-2", "run-1"]
            run1 = c.get("/ui/runs/run-1").text
            assert re.search(r"/inputs/bpi/config/node.toml\?line=40#L40", run1)
            period = c.get("/ui/period", params={"from": "2026-11-01", "to": "2026-11-03"})
            assert period.status_code == 200 and 'id="heatmap"' in period.text
            assert "3 on 3 of 3 days" in period.text
            soa = c.get("/ui/soa", params={"scope": "prod"}).text
            assert len(re.findall(r'<td class="cid">A\.\d+\.\d+</td>', soa)) == 93
            assert c.get("/ui/bundles").text.count('class="ok">verified') == 3
    finally:
        decisions.close()


def test_an_auditor_walks_every_ledger_page_in_a_real_browser(
    sqlite: Recorded, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium(tmp_path / "profile")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    decisions = LedgerDecisions(sqlite.url, "prod")
    bundles = StoreBundles(sqlite.store, sqlite.key.public_key())
    errors: list[object] = []
    try:
        with running(config(bundles=bundles, decision_ledger=decisions)) as c:
            base = str(c.base_url).rstrip("/")

            def visit(path: str, name: str) -> None:
                driver.get(base + path)
                WebDriverWait(driver, 20).until(
                    lambda d: d.execute_script("return document.readyState") == "complete"
                )
                driver.save_screenshot(str(shots / f"{name}.png"))
                errors.extend(console_errors(driver))

            def section(selector: str, name: str) -> None:
                element = driver.find_element(By.CSS_SELECTOR, selector)
                driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
                driver.save_screenshot(str(shots / f"{name}.png"))

            driver.get(base + "/ui/period")
            assert driver.current_url.endswith("/ui/login")
            driver.find_element(By.NAME, "token").send_keys(AUDITOR_TOKEN)
            driver.find_element(By.CSS_SELECTOR, "form[action='/ui/login'] button").click()
            WebDriverWait(driver, 20).until(ec.url_to_be(base + "/ui/"))
            assert AUDITOR_TOKEN not in driver.current_url

            visit("/ui/", "runs")
            rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
            assert [r.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text for r in rows] == [
                "run-3",
                "run-2",
                "run-1",
            ]
            driver.find_element(By.NAME, "from").send_keys("11/02/2026")
            driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
            WebDriverWait(driver, 20).until(ec.url_contains("from=2026-11-02"))
            assert len(driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 2

            visit("/ui/runs/run-1", "run-top")
            facts = driver.find_element(By.CSS_SELECTOR, "dl.facts").text
            assert "verified" in facts and "scope" in driver.find_element(By.TAG_NAME, "h1").text
            controls = driver.find_elements(By.CSS_SELECTOR, "table.controls tbody tr")
            box = driver.find_element(By.CSS_SELECTOR, "input.search")
            box.send_keys("A.8.20")
            shown = [r for r in controls if r.is_displayed()]
            assert 0 < len(shown) < len(controls)
            box.clear()
            link = driver.find_element(By.CSS_SELECTOR, "#findings a[href*='node.toml?line=40']")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
            link.click()
            WebDriverWait(driver, 20).until(ec.url_contains("/inputs/"))
            hit = driver.find_element(By.CSS_SELECTOR, "pre.source .hit")
            assert hit.get_attribute("id") == "L40" and "0.0.0.0/0" in hit.text
            visit(driver.current_url.removeprefix(base), "input")
            visit("/ui/runs/run-1", "run")
            section("#findings-h", "run-findings")
            section("#population-h", "run-population")

            visit("/ui/period?scope=prod&from=2026-10-31&to=2026-11-04", "period")
            heatmap = driver.find_element(By.ID, "heatmap")
            assert heatmap.size["width"] > 300 and heatmap.size["height"] > 300
            assert driver.find_elements(By.CSS_SELECTOR, "#heatmap rect.h-fail")
            assert driver.find_elements(By.CSS_SELECTOR, "#heatmap rect.h-norun")
            text = driver.find_element(By.ID, "period-findings").text
            assert "2026-11-02T08:00:00Z" in text and "open" in text
            assert driver.find_element(By.ID, "period-sample").is_displayed()
            section("#findings-h", "period-findings")
            section("#period-population", "period-population")

            visit("/ui/soa?pack=iso27001&scope=prod", "soa")
            assert len(driver.find_elements(By.CSS_SELECTOR, "#soa tbody tr")) == 93
            visit("/ui/bundles", "bundles")
            assert driver.find_element(By.ID, "bundles").text.count("verified") == 3

            driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
            WebDriverWait(driver, 20).until(ec.url_to_be(base + "/ui/login"))
            errors.extend(console_errors(driver))
            assert errors == [], errors
    finally:
        driver.quit()
        decisions.close()
    print(f"screenshots: {shots}")
    assert {p.name for p in shots.iterdir()} >= {
        "runs.png",
        "run.png",
        "input.png",
        "period.png",
        "soa.png",
        "bundles.png",
    }
