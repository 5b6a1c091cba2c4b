"""The HTML report inside a signed bundle, opened from disk in headless Chromium (Selenium):
findings filters, sorting, the search, links to the bundled inputs, long control ids at
1024-1920 px, the print stylesheet, and no console error."""

from __future__ import annotations

import contextlib
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from tests.bpi_copy import bpi_with_key
from tests.browser import chromium, console_errors

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
"""


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed bundle of a copy of examples/bpi, extracted."""
    tmp = tmp_path_factory.mktemp("report")
    _, key_file = bpi_with_key(tmp)
    (tmp / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    with contextlib.chdir(tmp):  # the report names inputs relative to the path given: bpi/...
        result = CliRunner().invoke(
            cli,
            [
                "evaluate",
                "bpi",
                "--format",
                "json",
                "--fail-on",
                "none",
                "--no-cache",
                "--now",
                "2026-11-27T00:00:00Z",
                "--waivers",
                "waivers.yaml",
                "--bundle",
                "evidence.tar.gz",
                "--sign-key",
                str(key_file),
                "-o",
                "report.json",
            ],
        )
        assert result.exit_code == 0, result.output
    out = tmp / "extracted"
    with tarfile.open(tmp / "evidence.tar.gz") as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    d = chromium(tmp_path / "profile", "--allow-file-access-from-files")
    try:
        yield d
    finally:
        d.quit()


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in console_errors(driver)]


def _visible(driver: Any, css: str) -> list[Any]:
    return [e for e in driver.find_elements("css selector", css) if e.is_displayed()]


def _select(driver: Any, name: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", f"filter-{name}")).select_by_value(value)


def test_findings_filters_sort_and_search(bundle_dir: Path, driver: Any, tmp_path: Path) -> None:
    driver.get((bundle_dir / "report.html").as_uri())
    driver.save_screenshot(str(tmp_path / "report-1400.png"))
    rows = driver.find_elements("css selector", "#findings-table tbody tr")
    total = len(rows)
    assert total > 20 and len(_visible(driver, "#findings-table tbody tr")) == total

    filters = {"severity": "high", "framework": "hipaa", "check": "NET-02", "status": "waived"}
    for name, value in filters.items():
        _select(driver, name, value)
        shown = _visible(driver, "#findings-table tbody tr")
        attr = f"data-{name}"
        want = [r for r in rows if value in r.get_attribute(attr).split(" ")]
        assert len(shown) == len(want) > 0, name
        assert name == "framework" or len(shown) < total, name
        assert all(value in r.get_attribute(attr).split(" ") for r in shown), name
        assert driver.find_element("id", "finding-count").text == f"{len(shown)} of {total} shown"
        _select(driver, name, "")
    files = [r.get_attribute("data-file") for r in rows]
    _select(driver, "file", "bpi/terraform/main.tf")
    shown = _visible(driver, "#findings-table tbody tr")
    assert len(shown) == files.count("bpi/terraform/main.tf") > 0
    _select(driver, "file", "")

    # the search narrows controls and findings alike
    box = driver.find_element("id", "q")
    controls = driver.find_elements("css selector", "tr.control")
    box.send_keys("NET-02")
    shown_controls = _visible(driver, "tr.control")
    shown_findings = _visible(driver, "#findings-table tbody tr")
    assert 0 < len(shown_controls) < len(controls)
    assert 0 < len(shown_findings) < total
    assert all("NET-02" in r.text for r in shown_findings)
    for _ in "NET-02":
        box.send_keys("\u0008")  # backspace: each one an input event
    assert len(_visible(driver, "#findings-table tbody tr")) == total

    # sort by location: ascending by file, then line; again: descending
    sort = driver.find_element("css selector", "button.sort[data-key=location]")
    sort.click()
    keys = [
        (r.get_attribute("data-file"), int(r.get_attribute("data-line")))
        for r in driver.find_elements("css selector", "#findings-table tbody tr")
    ]
    default = [(r.get_attribute("data-file"), int(r.get_attribute("data-line"))) for r in rows]
    assert keys == sorted(default) and keys != default
    header = sort.find_element("xpath", "..")
    assert header.get_attribute("aria-sort") == "ascending"
    sort.click()
    again = [
        (r.get_attribute("data-file"), int(r.get_attribute("data-line")))
        for r in driver.find_elements("css selector", "#findings-table tbody tr")
    ]
    assert again == sorted(keys, reverse=True)
    driver.find_element("css selector", "button.sort[data-key=severity]").click()
    ranks = [
        int(r.get_attribute("data-rank"))
        for r in driver.find_elements("css selector", "#findings-table tbody tr")
    ]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    driver.save_screenshot(str(tmp_path / "sorted.png"))
    assert _errors(driver) == []


def test_file_line_opens_the_bundled_input(bundle_dir: Path, driver: Any) -> None:
    driver.get((bundle_dir / "report.html").as_uri())
    link = driver.find_element("css selector", "#findings-table a.loc")
    href = link.get_attribute("href")
    member, _, line = href.partition("#L")
    assert member.startswith((bundle_dir / "inputs").as_uri()) and int(line) > 0
    row = link.find_element("xpath", "./ancestor::tr")
    assert link.text == f"{row.get_attribute('data-file')}:{line}"
    assert link.get_attribute("href") == href and "inputs/" in link.get_dom_attribute("href")
    assert not link.get_dom_attribute("href").startswith(("/", "file:"))  # relative
    bundled = Path(member.removeprefix("file://"))
    assert len(bundled.read_text(encoding="utf-8").splitlines()) >= int(line)
    # a Dockerfile has no registered type: Chromium shows it as text
    docker = driver.find_element("css selector", "#findings-table a.loc[href*='Dockerfile']")
    target = docker.get_attribute("href")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", docker)
    docker.click()
    assert driver.current_url == target
    first = Path(target.partition("#")[0].removeprefix("file://")).read_text().splitlines()[0]
    assert driver.find_element("tag name", "body").text.splitlines()[0] == first


@pytest.mark.parametrize("width", [1024, 1400, 1920])
def test_long_control_ids_stay_in_their_cells(
    bundle_dir: Path, driver: Any, tmp_path: Path, width: int
) -> None:
    driver.set_window_size(width, 1000)
    driver.get((bundle_dir / "report.html").as_uri())
    driver.save_screenshot(str(tmp_path / f"report-{width}.png"))
    cells = driver.find_elements("css selector", "tr.control > td:first-child")
    assert any("164.312(e)(2)(ii)" in c.text for c in cells)
    over = driver.execute_script(
        """return Array.from(document.querySelectorAll(
             'tr.control > td, #findings-table td, table.fwtable td'))
           .filter(td => td.scrollWidth > td.clientWidth + 1)
           .map(td => td.textContent.trim().slice(0, 60));"""
    )
    assert over == []
    beyond = driver.execute_script(
        """const edge = document.documentElement.clientWidth;
           return Array.from(document.querySelectorAll('main *'))
             .filter(e => e.getBoundingClientRect().right > edge + 1)
             .map(e => e.tagName + '.' + e.className).slice(0, 10);"""
    )
    assert beyond == []
    assert driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert _errors(driver) == []


def test_print_stylesheet_expands_everything_and_drops_the_controls(
    bundle_dir: Path, driver: Any, tmp_path: Path
) -> None:
    driver.get((bundle_dir / "report.html").as_uri())
    driver.find_element("id", "q").send_keys("no control matches this text")
    hidden = [r for r in driver.find_elements("css selector", "tr.control") if not r.is_displayed()]
    assert hidden
    closed = driver.find_elements("css selector", "details.evidence:not([open]) li")
    height = "return arguments[0].getBoundingClientRect().height"
    assert closed and not any(driver.execute_script(height, e) for e in closed)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not driver.find_element("id", "q").is_displayed()
    assert not driver.find_element("id", "finding-filters").is_displayed()
    assert all(r.is_displayed() for r in hidden)
    assert all(driver.execute_script(height, e) > 0 for e in closed)
    chart = driver.find_element("css selector", "tr.framework svg.chart")
    assert chart.is_displayed() and chart.find_elements("css selector", "rect")
    assert all("%" in e.text for e in driver.find_elements("css selector", "tr.framework .score"))
    driver.save_screenshot(str(tmp_path / "print.png"))
    assert _errors(driver) == []
