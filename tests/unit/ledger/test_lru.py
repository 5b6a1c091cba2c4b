"""The bounded caches: the LRU itself and the ledger's decoded blobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.ledger import store
from compliance.ledger.chain import canonical
from compliance.ledger.lru import Lru
from compliance.ledger.record import record_run
from compliance.ledger.store import Ledger
from tests.unit.ledger.reports import report


def test_the_least_recently_used_go_first_within_the_weight_bound() -> None:
    lru: Lru[str, int] = Lru(10)
    lru.put("a", 1, 4)
    lru.put("b", 2, 4)
    assert lru.get("a") == 1  # "b" is now the least recently used
    lru.put("c", 3, 4)
    assert "b" not in lru and lru.get("a") == 1 and lru.get("c") == 3
    assert lru.weight == 8 and len(lru) == 2
    lru.put("a", 5, 2)  # replacing a key replaces its weight
    assert lru.get("a") == 5 and lru.weight == 6
    lru.put("huge", 9, 11)  # heavier than the bound: not kept, nothing evicted for it
    assert "huge" not in lru and len(lru) == 2 and lru.weight == 6
    lru.put("d", 4, 10)
    assert list(lru._items) == ["d"] and lru.weight == 10
    lru.clear()
    assert len(lru) == 0 and lru.weight == 0 and lru.get("d") is None


def test_the_ledger_keeps_decoded_blobs_within_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Ledger(url) as led:
        entries = [
            record_run(led, report(day, opens), scope="prod")
            for day, opens in (("2026-11-01", ("net", "tls")), ("2026-11-02", ("net",)))
        ]
    findings = [e.body["findings"] for e in entries]
    with Ledger(url) as led:
        sizes = [len(canonical(led.blob(d))) for d in findings]
    monkeypatch.setattr(store, "BLOB_CACHE_BYTES", max(sizes))
    with Ledger(url) as led:
        first = led.blob(findings[0])
        assert led.blob(findings[0]) is first  # kept
        second = led.blob(findings[1])
        assert led.blob(findings[1]) is second
        assert led._blob_cache.weight <= max(sizes) and findings[0] not in led._blob_cache
        again = led.blob(findings[0])  # read again from the database
        assert again == first and again is not first
