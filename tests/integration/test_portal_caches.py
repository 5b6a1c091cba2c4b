"""What the portal keeps between requests: a run page that does not wait for a long first
bundle signature check, and built periods that last until a run is recorded. Real server on
loopback, real SQLite ledger, real store and signatures."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from compliance.ledger.decisions import LedgerDecisions
from compliance.ledger.record import record_run
from compliance.ledger.store import Ledger
from compliance.server import portal, portal_period
from compliance.server.bundles import StoreBundles, Verification
from tests.integration.server_harness import config, running
from tests.integration.test_portal_ledger import _login, _record, _synthetic


class GatedBundles(StoreBundles):
    """The store's real signature check, held until the test opens the gate."""

    def __init__(self, root: Path, key: Any, gate: threading.Event) -> None:
        super().__init__(root, key)
        self.gate = gate
        self.checks = 0

    def verify(self, bundle_id: str) -> Verification | None:
        assert self.gate.wait(60)
        self.checks += 1
        return super().verify(bundle_id)


def test_a_run_page_does_not_wait_for_a_long_first_signature_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = _record(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    gate = threading.Event()
    bundles = GatedBundles(recorded.store, recorded.key.public_key(), gate)
    decisions = LedgerDecisions(recorded.url, "prod")
    monkeypatch.setattr(portal, "VERIFY_WAIT", 0.05)
    try:
        with running(config(bundles=bundles, decision_ledger=decisions)) as c:
            _login(c)
            first = c.get("/ui/runs/run-1")
            assert first.status_code == 200
            assert "signature check running; reload the page for its result" in first.text
            assert "firewall rule ssh" in first.text  # the rest of the page is there
            gate.set()
            monkeypatch.setattr(portal, "VERIFY_WAIT", 60.0)
            second = c.get("/ui/runs/run-1").text
            assert '<span class="ok">verified</span>' in second
            assert "signature check running" not in second
            assert '<span class="ok">verified</span>' in c.get("/ui/runs/run-1").text
            assert bundles.checks == 1  # the reload joined the running check, then its result
    finally:
        gate.set()
        decisions.close()


def test_a_built_period_is_kept_until_a_run_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger(url) as led:
        record_run(led, _synthetic(3), scope="s", at="2026-11-01T08:00:00Z")
    builds: list[str] = []
    real = portal_period.period

    def counted(ledger: Any, q: Any, generated_at: str) -> Any:
        builds.append(q.scope)
        return real(ledger, q, generated_at)

    monkeypatch.setattr(portal_period, "period", counted)
    q = {"scope": "s", "from": "2026-11-01", "to": "2026-11-02"}
    decisions = LedgerDecisions(url, "admission")
    try:
        with running(config(decision_ledger=decisions)) as c:
            _login(c)
            before = c.get("/ui/period", params=q).text
            assert "1 on 1 of 2 days" in before and "2026-11-02" in before
            assert "1 on 1 of 2 days" in c.get("/ui/period", params={**q, "page": "2"}).text
            assert c.get("/ui/period/findings.csv", params=q).text.count("\n") == 4
            assert builds == ["s"]  # one build for the page, its other page and its CSV
            decisions.append({"time": "2026-11-02T09:00:00Z", "allowed": True})
            c.get("/ui/period", params=q)
            assert builds == ["s"]  # an admission decision does not change a period
            other = c.get("/ui/period", params={**q, "to": "2026-11-03"}).text
            assert "1 on 1 of 3 days" in other and builds == ["s", "s"]
            with Ledger(url) as led:
                record_run(led, _synthetic(1), scope="s", at="2026-11-02T08:00:00Z")
            after = c.get("/ui/period", params=q).text
            assert "2 on 2 of 2 days" in after and builds == ["s", "s", "s"]
            assert c.get("/ui/period/findings.csv", params=q).text.count("\n") == 4
    finally:
        decisions.close()
