"""The ledger core on SQLite and PostgreSQL: recording, content addressing, the chain, verify."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text, update

from compliance.ledger.record import record_run
from compliance.ledger.schema import SCHEMA_VERSION, blobs, entries, schema_version
from compliance.ledger.store import Ledger
from compliance.ledger.verify import verify_ledger
from tests.unit.ledger.reports import RESOURCES, report


def _blob_count(led: Ledger) -> int:
    with led.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(blobs)).scalar() or 0)


def test_a_run_records_everything_the_issue_lists(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        entry = record_run(
            led,
            report("2026-11-01"),
            scope="prod",
            source={"commit": "abc", "dirty": True},
            bundle={"sha256": "ff", "path": None},
        )
        got = led.get(entry.id)
        assert got.at == "2026-11-01T09:00:00Z" and got.scope == "prod" and got.kind == "run"
        body = got.body
        assert body["source"] == {"commit": "abc", "dirty": True}
        assert [p["name"] for p in body["packs"]] == ["iso27001", "soc2"]
        assert body["packs"][0]["digest"] == "sha256:aa"
        assert led.blob(body["parameters"])["iso27001"] == {"x": 1}
        controls = {c["control_id"]: c for c in led.blob(body["controls"])}
        assert controls["CC6.1"]["status"] == "fail"
        assert led.blob(controls["CC6.1"]["population"]) == {
            "IAM-01": ["config:node.toml"],
            "TLS-01": ["config:node.toml", "k8s:Deployment:web/api"],
        }
        assert controls["A.8.20"]["assessed_count"] == 2
        findings = led.blob(body["findings"])
        assert {
            (
                f["fingerprint"],
                f["check_id"],
                f["resource"]["id"],
                f["file"],
                f["line"],
                f["severity"],
                f["status"],
            )
            for f in findings
        } == {
            ("f-net", "NET-02", "k8s:Service:web/api", "node.toml", 40, "critical", "fail"),
            ("f-tls", "TLS-01", "config:node.toml", "node.toml", 12, "high", "fail"),
        }
        assert [r["id"] for r in led.blob(body["resources"])] == sorted(r["id"] for r in RESOURCES)
        assert body["population_basis"] == "assessed"
        assert body["counts"] == {"controls": 2, "findings": 2, "resources": 3, "population": 5}
        assert body["bundle"] == {"sha256": "ff", "path": None}
        assert body["signer"] is None


def test_unchanged_runs_add_no_blobs(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        record_run(led, report("2026-11-01"), scope="prod")
        first = _blob_count(led)
        for day in ("2026-11-02", "2026-11-03"):
            record_run(led, report(day), scope="prod")
        assert _blob_count(led) == first
        record_run(led, report("2026-11-04", open_findings=("net",)), scope="prod")
        # the fix changes the findings set and the control list (CC6.1 passes): two new blobs
        assert _blob_count(led) == first + 2
        assert verify_ledger(led).problems == []


def test_falls_back_when_the_report_has_no_assessed_map_or_resources(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        entry = record_run(
            led, report("2026-11-01", assessed=False), scope="prod", resources=[{"id": "x"}]
        )
        body = led.get(entry.id).body
        assert body["population_basis"] == "findings"
        controls = {c["control_id"]: c for c in led.blob(body["controls"])}
        assert led.blob(controls["A.8.20"]["population"]) == {"NET-02": ["k8s:Service:web/api"]}
        assert led.blob(body["resources"]) == [{"id": "x"}]
        assert body["counts"]["population"] == 2


def test_schema_is_versioned_and_reopening_migrates_nothing(ledger_url: str) -> None:
    Ledger(ledger_url).close()
    with Ledger(ledger_url) as led, led.engine.connect() as conn:
        versions = list(conn.execute(select(schema_version.c.version)).scalars())
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_verify_finds_an_edited_row_a_removed_row_an_edited_blob(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
            record_run(led, report(day), scope="prod")
        assert verify_ledger(led).problems == []
        with led.engine.begin() as conn:
            body = conn.execute(select(entries.c.body).where(entries.c.seq == 2)).scalar()
            conn.execute(
                update(entries)
                .where(entries.c.seq == 2)
                .values(body=body.replace("prod", "prad") + " ")
            )
        assert any(
            "run-2: content does not match its hash" in p for p in verify_ledger(led).problems
        )
        with led.engine.begin() as conn:
            conn.execute(entries.delete().where(entries.c.seq == 2))
        problems = verify_ledger(led).problems
        assert any("run-3: sequence 3, expected 2" in p for p in problems)
        assert any("run-3: does not chain" in p for p in problems)
        with led.engine.begin() as conn:
            digest = conn.execute(select(blobs.c.digest).where(blobs.c.kind == "findings")).scalar()
            import zlib

            conn.execute(
                update(blobs).where(blobs.c.digest == digest).values(data=zlib.compress(b"[]"))
            )
        assert any("does not match its digest" in p for p in verify_ledger(led).problems)


def test_verify_finds_rows_cut_from_the_end(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        for day in ("2026-11-01", "2026-11-02"):
            record_run(led, report(day), scope="prod")
        with led.engine.begin() as conn:
            conn.execute(entries.delete().where(entries.c.seq == 2))
        assert any("rows missing at the end" in p for p in verify_ledger(led).problems)


def test_signed_runs_verify_and_an_edit_breaks_the_signature(ledger_url: str) -> None:
    key = Ed25519PrivateKey.generate()
    with Ledger(ledger_url) as led:
        record_run(led, report("2026-11-01"), scope="prod", sign_key=key)
        result = verify_ledger(led, key.public_key())
        assert result.problems == [] and result.signed == 1
        other = Ed25519PrivateKey.generate().public_key()
        assert any("expected" in p for p in verify_ledger(led, other).problems)
        record_run(led, report("2026-11-02"), scope="prod")
        assert any("run-2: not signed" in p for p in verify_ledger(led, key.public_key()).problems)


def test_verify_checks_reachable_bundles(ledger_url: str, tmp_path: Path) -> None:
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(b"bundle bytes")
    digest = hashlib.sha256(b"bundle bytes").hexdigest()
    with Ledger(ledger_url) as led:
        record_run(
            led, report("2026-11-01"), scope="prod", bundle={"sha256": digest, "path": str(bundle)}
        )
        record_run(
            led,
            report("2026-11-02"),
            scope="prod",
            bundle={"sha256": digest, "path": str(tmp_path / "gone.tar.gz")},
        )
        result = verify_ledger(led)
        assert result.problems == [] and result.bundles_checked == 1
        assert result.bundles_unreachable == [f"run-2: {tmp_path / 'gone.tar.gz'}"]
        bundle.write_bytes(b"other bytes")
        assert any("run-1: bundle" in p for p in verify_ledger(led).problems)


def test_concurrent_appends_keep_one_linear_chain(ledger_url: str) -> None:
    led = Ledger(ledger_url)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            mine = Ledger(ledger_url)
            for i in range(15):
                mine.append(
                    "decision", "admission", f"2026-11-01T00:00:{i:02d}Z", {"writer": n, "i": i}
                )
            mine.close()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify_ledger(led)
    assert result.problems == [] and result.decisions == 60
    with led.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar() == 60
    led.close()


def test_runs_are_selected_by_scope_and_time(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        record_run(led, report("2026-11-01"), scope="prod")
        record_run(led, report("2026-11-02"), scope="staging")
        record_run(led, report("2026-11-03"), scope="prod")
        assert [e.at[:10] for e in led.entries("run", "prod")] == ["2026-11-01", "2026-11-03"]
        assert [
            e.id for e in led.entries("run", None, "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z")
        ] == ["run-2"]
        assert led.get("3").id == "run-3"
