"""A standalone HTML report of a few hundred findings in headless Chromium: the findings table
shows 100 at a time (filters, search, sort and links to a finding work across pages), and
without JavaScript every finding is on the page."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from tests.browser import chromium, console_errors

POD = """apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:latest
      securityContext:
        privileged: true
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pages")
    for i in range(30):
        (tmp / "pods" / f"pod-{i:02d}.yaml").parent.mkdir(exist_ok=True)
        (tmp / "pods" / f"pod-{i:02d}.yaml").write_text(POD.format(i=i), encoding="utf-8")
    with contextlib.chdir(tmp):
        result = CliRunner().invoke(
            cli,
            [
                "evaluate",
                "pods",
                "--format",
                "html",
                "--fail-on",
                "none",
                "--no-cache",
                "--now",
                "2026-11-27T00:00:00Z",
                "-o",
                "report.html",
            ],
        )
    assert result.exit_code == 0, result.output
    return tmp / "report.html"


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    d = chromium(tmp_path / "profile")
    try:
        yield d
    finally:
        d.quit()


def _visible(driver: Any) -> list[Any]:
    rows = driver.find_elements("css selector", "#findings-table tbody tr")
    return [r for r in rows if r.is_displayed()]


def _ids(rows: list[Any]) -> list[str]:
    return [r.get_attribute("id") for r in rows]


def test_findings_come_a_hundred_at_a_time(report: Path, driver: Any, tmp_path: Path) -> None:
    driver.get(report.as_uri())
    rows = driver.find_elements("css selector", "#findings-table tbody tr")
    total = len(rows)
    assert 200 < total < 300
    count = driver.find_element("id", "finding-count")
    assert _ids(_visible(driver)) == _ids(rows[:100])
    assert count.text == f"1-100 of {total} matching ({total} in all)"
    assert driver.find_element("id", "finding-page").text == "page 1 of 3"
    assert not driver.find_element("id", "finding-prev").is_enabled()
    driver.save_screenshot(str(tmp_path / "page-1.png"))

    driver.find_element("id", "finding-next").click()
    assert _ids(_visible(driver)) == _ids(rows[100:200])
    driver.find_element("id", "finding-next").click()
    assert _ids(_visible(driver)) == _ids(rows[200:])
    assert count.text == f"201-{total} of {total} matching ({total} in all)"
    assert not driver.find_element("id", "finding-next").is_enabled()

    # a filter starts again at its first page; a narrow one fits on one page
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "filter-file")).select_by_value("pods/pod-07.yaml")
    shown = _visible(driver)
    assert 0 < len(shown) < 100 and all(
        r.get_attribute("data-file") == "pods/pod-07.yaml" for r in shown
    )
    assert count.text == f"{len(shown)} of {total} shown"
    assert not driver.find_element("id", "finding-pager").is_displayed()
    Select(driver.find_element("id", "filter-file")).select_by_value("")

    # the search narrows across every page, not only the one shown
    box = driver.find_element("id", "q")
    box.send_keys("web-29")
    shown = _visible(driver)
    assert shown and all("web-29" in r.text for r in shown)
    assert len(shown) == sum("web-29" in r.get_attribute("textContent") for r in rows)
    box.clear()
    box.send_keys(" ")

    # sorting orders every finding, then shows the first page of that order
    driver.find_element("css selector", "button.sort[data-key=location]").click()
    ordered = driver.find_elements("css selector", "#findings-table tbody tr")
    keys = [(r.get_attribute("data-file"), int(r.get_attribute("data-line"))) for r in ordered]
    assert keys == sorted(keys)
    assert _ids(_visible(driver)) == _ids(ordered[:100])
    driver.save_screenshot(str(tmp_path / "sorted.png"))
    assert console_errors(driver) == []


def test_a_link_to_a_finding_on_a_later_page_shows_that_page(report: Path, driver: Any) -> None:
    driver.get(report.as_uri())
    ids = _ids(driver.find_elements("css selector", "#findings-table tbody tr"))
    late = ids[250]
    driver.get(f"{report.as_uri()}#{late}")
    assert driver.find_element("id", late).is_displayed()
    assert driver.find_element("id", "finding-page").text == "page 3 of 3"
    # a control's "details" link to a finding on another page
    driver.get(report.as_uri())
    driver.refresh()
    links = driver.find_elements("css selector", "tr.control a[href^='#finding-']")
    later = [a for a in links if ids.index(a.get_attribute("hash")[1:]) >= 100]
    assert later
    target = later[0].get_attribute("hash")[1:]
    assert not driver.find_element("id", target).is_displayed()
    driver.execute_script("arguments[0].click()", later[0])
    assert driver.find_element("id", target).is_displayed()
    assert console_errors(driver) == []


def test_without_javascript_every_finding_is_readable(report: Path, tmp_path: Path) -> None:
    d = chromium(tmp_path / "profile", "--blink-settings=scriptEnabled=false")
    try:
        d.get(report.as_uri())
        rows = d.find_elements("css selector", "#findings-table tbody tr")
        assert len(rows) > 200 and all(r.is_displayed() for r in rows)
        assert not d.find_element("id", "finding-pager").is_displayed()
    finally:
        d.quit()
