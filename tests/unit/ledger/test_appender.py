"""The SQLite appender (the standard library's driver): the same rows as ``Ledger.append``,
used only on an existing ledger at this schema version, and no SQLAlchemy in the process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from compliance.ledger import chain, record_evaluation
from compliance.ledger.appender import SqliteAppender, open_appender
from compliance.ledger.record import record_run
from compliance.ledger.schema import MIGRATIONS
from compliance.ledger.store import Ledger
from compliance.ledger.verify import verify_ledger
from tests.unit.ledger.reports import report


def _new_ledger(path: Path) -> str:
    url = f"sqlite:///{path}"
    with Ledger(url) as led:
        record_run(led, report("2026-11-01"), scope="prod")
    return url


def _rows(path: Path, table: str, order: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(f"SELECT * FROM {table} ORDER BY {order}"))


def test_the_schema_version_constant_counts_the_migrations() -> None:
    assert len(MIGRATIONS) == chain.SCHEMA_VERSION


def test_an_appended_run_is_the_row_and_blobs_ledger_append_writes(tmp_path: Path) -> None:
    fast, slow = tmp_path / "fast.db", tmp_path / "slow.db"
    fast_url, slow_url = _new_ledger(fast), _new_ledger(slow)
    second = report("2026-11-02", ("net",), waived=())
    appender = open_appender(fast_url)
    assert isinstance(appender, SqliteAppender)
    with appender:
        got = record_run(appender, second, scope="prod", at="2026-11-02T09:00:00Z")
    with Ledger(slow_url) as led:
        want = record_run(led, second, scope="prod", at="2026-11-02T09:00:00Z")
    assert (got.id, got.seq, got.prev, got.hash, got.raw_body) == (
        want.id,
        want.seq,
        want.prev,
        want.hash,
        want.raw_body,
    )
    assert _rows(fast, "ledger_entries", "seq") == _rows(slow, "ledger_entries", "seq")
    assert _rows(fast, "ledger_head", "id") == _rows(slow, "ledger_head", "id")
    assert _rows(fast, "ledger_blobs", "digest") == _rows(slow, "ledger_blobs", "digest")
    with Ledger(fast_url) as led:
        assert verify_ledger(led).problems == []
        assert led.blob(got.body["findings"])[0]["fingerprint"] == "f-net"


def test_only_an_existing_current_sqlite_ledger_is_appended_to_directly(tmp_path: Path) -> None:
    assert open_appender(f"sqlite:///{tmp_path / 'missing.db'}") is None
    assert open_appender("postgresql://u@localhost/db") is None
    assert open_appender("sqlite:///:memory:") is None
    url = _new_ledger(tmp_path / "l.db")
    assert open_appender(url + "?timeout=5") is None
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert open_appender(f"sqlite:///{other}") is None
    with sqlite3.connect(tmp_path / "l.db") as conn:
        conn.execute("INSERT INTO schema_version VALUES (2, '2026-11-01T00:00:00Z')")
    assert open_appender(url) is None


def test_appender_and_ledger_writers_at_once_keep_one_chain(tmp_path: Path) -> None:
    url = _new_ledger(tmp_path / "l.db")
    errors: list[BaseException] = []

    def write(fast: bool) -> None:
        try:
            led = open_appender(url) if fast else Ledger(url)
            assert led is not None
            with led:
                for i in range(10):
                    led.append("decision", "admission", f"2026-11-01T00:00:{i:02d}Z", {"i": i})
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(n % 2 == 0,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Ledger(url) as led:
        result = verify_ledger(led)
        assert result.problems == [] and result.decisions == 40 and led.head()[0] == 41


def test_recording_into_an_existing_ledger_does_not_load_sqlalchemy(tmp_path: Path) -> None:
    url = _new_ledger(tmp_path / "l.db")
    code = (
        "import sys, json\n"
        "from compliance.ledger import record_evaluation\n"
        "data = json.loads(sys.stdin.read())\n"
        f"print(record_evaluation({url!r}, 'prod', data, paths=(), loaded_resources=[]))\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(report("2026-11-03")),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out == [f"recorded run-2 (scope prod) in ledger {url}", "False"]
    # a new ledger goes through SQLAlchemy, which creates the schema
    fresh = f"sqlite:///{tmp_path / 'new' / 'l.db'}"
    line = record_evaluation(fresh, "prod", report("2026-11-03"), paths=(), loaded_resources=[])
    assert line == f"recorded run-1 (scope prod) in ledger {fresh}"
    with Ledger(fresh) as led:
        assert verify_ledger(led).problems == [] and led.head()[0] == 1
