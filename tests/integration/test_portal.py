"""The auditors' portal (/ui/) on the real app under uvicorn, over a real signed evidence store:
sessions and headers over HTTP, then every page in headless Chromium (Selenium)."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.cli.main import cli
from compliance.server.bundles import StoreBundles
from compliance.server.portal import COOKIE, Sessions
from tests.bpi_copy import bpi_with_key
from tests.browser import chromium, console_errors
from tests.integration.server_harness import AUDITOR_TOKEN, config, running


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Ed25519PrivateKey]]:
    """Two signed runs of a copy of examples/bpi, a day apart, in one evidence store."""
    tmp = tmp_path_factory.mktemp("portal")
    key, key_file = bpi_with_key(tmp)
    with contextlib.chdir(tmp):  # the report names inputs relative to the path given: bpi/...
        for day in ("2026-11-27", "2026-11-28"):
            _evaluate(tmp, day, key_file)
    yield tmp / "store", key


def _evaluate(tmp: Path, day: str, key_file: Path) -> None:
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
            f"{day}T00:00:00Z",
            "--bundle",
            str(tmp / f"{day}.tar.gz"),
            "--sign-key",
            str(key_file),
            "--store",
            str(tmp / "store"),
            "-o",
            str(tmp / f"{day}.json"),
        ],
    )
    assert result.exit_code == 0, result.output


def _runs(store_dir: Path) -> list[str]:
    import json

    index = json.loads((store_dir / "index.json").read_text())
    return [b["id"] for b in sorted(index["bundles"], key=lambda b: b["evaluated_at"])]


def _login(c: httpx.Client, token: str = AUDITOR_TOKEN) -> httpx.Response:
    return c.post("/ui/login", data={"token": token}, follow_redirects=False)


def test_pages_need_a_session_and_the_token_is_exchanged_for_a_strict_cookie(
    store: tuple[Path, Ed25519PrivateKey],
) -> None:
    store_dir, key = store
    with running(config(bundles=StoreBundles(store_dir, key.public_key()))) as c:
        assert c.get("/", follow_redirects=False).headers["location"] == "/ui/"
        for page in ("/ui/", "/ui/bundles", f"/ui/runs/{_runs(store_dir)[0]}"):
            r = c.get(page, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/ui/login", page
        wrong = _login(c, "not-a-token")
        assert wrong.status_code == 401 and "not valid" in wrong.text
        assert "not-a-token" not in wrong.text
        assert COOKIE not in wrong.headers.get("set-cookie", "")
        ok = _login(c)
        assert ok.status_code == 303 and ok.headers["location"] == "/ui/"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
        assert "Max-Age=" in cookie and "Secure" not in cookie  # plain HTTP on loopback
        assert AUDITOR_TOKEN not in cookie and AUDITOR_TOKEN not in ok.headers["location"]
        page = c.get("/ui/")
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["cache-control"] == "no-store"
        # the auditor's session reads; the portal has no write route at all
        assert c.post("/ui/", data={}).status_code == 405
        assert c.post("/ui/logout", follow_redirects=False).status_code == 303
        assert c.get("/ui/", follow_redirects=False).status_code == 303


def test_sessions_expire() -> None:
    from compliance.server.auth import Token

    sessions = Sessions(seconds=0)
    cookie = sessions.open(Token(name="jane", role="auditor", sha256="0" * 64))
    assert sessions.get(cookie) is None
    assert Sessions().get("forged") is None


def test_run_page_csv_exports_and_the_bundled_input_at_its_line(
    store: tuple[Path, Ed25519PrivateKey],
) -> None:
    store_dir, key = store
    first, second = _runs(store_dir)
    with running(config(bundles=StoreBundles(store_dir, key.public_key()))) as c:
        _login(c)
        runs = c.get("/ui/").text
        assert runs.index(second) < runs.index(first)  # newest first
        only_first = c.get("/ui/", params={"to": "2026-11-27"}).text
        assert first in only_first and second not in only_first
        run = c.get(f"/ui/runs/{first}").text
        assert "verified" in run and "not verified" not in run
        assert "164.312(e)(2)(ii)" in run and "Findings" in run
        link = re.search(rf'href="(/ui/runs/{first}/inputs/[^"?]+)\?line=(\d+)#L\d+"', run)
        assert link is not None
        source = c.get(link.group(1), params={"line": link.group(2)}).text
        assert f'id="L{link.group(2)}" class="line hit' in source
        findings = c.get(f"/ui/runs/{first}/findings.csv")
        assert findings.headers["content-type"].startswith("text/csv")
        lines = findings.text.splitlines()
        assert lines[0].startswith("check_id,severity,status,file,line")
        assert len(lines) > 20
        assert c.get(f"/ui/runs/{first}/population.csv").text.startswith("id,kind,name")
        assert c.get(f"/ui/runs/{first}/inputs/../../etc/passwd").status_code == 404
        assert c.get("/ui/runs/nosuchrun").status_code == 404
        download = c.get(f"/ui/bundles/{first}/download")
        assert download.content == (store_dir / f"{first}.tar.gz").read_bytes()


def test_bundles_page_shows_a_tampered_bundle_as_not_verified(
    store: tuple[Path, Ed25519PrivateKey], tmp_path: Path
) -> None:
    store_dir, key = store
    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    first, second = _runs(copy)
    data = (copy / f"{first}.tar.gz").read_bytes()
    (copy / f"{first}.tar.gz").write_bytes(data[:-8] + b"tampered")
    with running(config(bundles=StoreBundles(copy, key.public_key()))) as c:
        _login(c)
        page = c.get("/ui/bundles").text
        rows = {
            m.group(1): m.group(0)
            for m in re.finditer(r"<tr>\s*<td><a href=\"/ui/runs/(\w+)\">.*?</tr>", page, re.S)
        }
        assert "verified" in rows[second] and 'class="ok"' in rows[second]
        assert 'class="bad"' in rows[first]


def test_csv_cells_never_start_a_formula() -> None:
    from compliance.ledger.csvtable import guarded as _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM") == "'@SUM"
    assert _cell("plain") == "plain"


def test_an_auditor_walks_every_page_in_a_real_browser(
    store: tuple[Path, Ed25519PrivateKey], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    store_dir, key = store
    first, _ = _runs(store_dir)
    driver = chromium(tmp_path / "profile")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        with running(config(bundles=StoreBundles(store_dir, key.public_key()))) as c:
            base = str(c.base_url).rstrip("/")

            def visit(path: str, name: str) -> None:
                driver.get(base + path)
                driver.save_screenshot(str(shots / f"{name}.png"))

            visit("/ui/", "redirected")
            assert driver.current_url.endswith("/ui/login")
            driver.find_element(By.NAME, "token").send_keys(AUDITOR_TOKEN)
            driver.find_element(By.CSS_SELECTOR, "form[action='/ui/login'] button").click()
            WebDriverWait(driver, 20).until(ec.url_to_be(base + "/ui/"))
            assert AUDITOR_TOKEN not in driver.current_url
            assert driver.find_element(By.TAG_NAME, "h1").text == "Runs"
            driver.save_screenshot(str(shots / "runs.png"))
            rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
            assert len(rows) == 2
            visit(f"/ui/runs/{first}", "run")
            assert "verified" in driver.find_element(By.CSS_SELECTOR, "dl.facts").text
            controls = driver.find_elements(By.CSS_SELECTOR, "table.controls tbody tr")
            box = driver.find_element(By.CSS_SELECTOR, "input.search")
            box.send_keys("164.312(e)(2)(ii)")
            shown = [r for r in controls if r.is_displayed()]
            assert 0 < len(shown) < len(controls)
            box.clear()
            link = driver.find_element(By.CSS_SELECTOR, "#findings a[href*='/inputs/']")
            line = link.get_attribute("href").rsplit("#L", 1)[1]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
            link.click()
            WebDriverWait(driver, 20).until(ec.url_contains("/inputs/"))
            hit = driver.find_element(By.CSS_SELECTOR, "pre.source .hit")
            assert hit.get_attribute("id") == f"L{line}"
            driver.save_screenshot(str(shots / "input.png"))
            visit("/ui/bundles", "bundles")
            assert "verified" in driver.find_element(By.ID, "bundles").text
            driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
            WebDriverWait(driver, 20).until(ec.url_to_be(base + "/ui/login"))
            errors = console_errors(driver)
            assert errors == [], errors
    finally:
        driver.quit()
    assert {p.name for p in shots.iterdir()} >= {"runs.png", "run.png", "input.png", "bundles.png"}
