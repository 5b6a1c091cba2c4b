"""Appending to an SQLite ledger that exists and is at this tool's schema version, with the
standard library's ``sqlite3`` driver: the rows, the lock (``BEGIN IMMEDIATE``) and the blob
handling of ``Ledger.append``, without loading SQLAlchemy into a short ``evaluate`` process.
A new ledger, one at another schema version, an SQLite URL with query options and PostgreSQL
go through ``Ledger``, which creates and migrates the schema.
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path
from typing import Any

from compliance.errors import EvidenceError
from compliance.ledger.chain import (
    SCHEMA_VERSION,
    Blobs,
    Entry,
    blob_bytes,
    canonical,
    row_hash,
)

PREFIX = "sqlite:///"


class SqliteAppender:
    """One connection to an existing, current SQLite ledger; ``open_appender`` makes one."""

    def __init__(self, conn: sqlite3.Connection, source: str) -> None:
        self.conn = conn
        self.source = source

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(
        self, kind: str, scope: str, at: str, body: dict[str, Any], blob_values: Blobs | None = None
    ) -> Entry:
        """Add one row (and the blobs it names) at the chain's end, as ``Ledger.append``."""
        raw = canonical(body).decode()
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                seq, prev = conn.execute(
                    "SELECT seq, hash FROM ledger_head WHERE id = 1"
                ).fetchone()
                if blob_values:
                    self._put_blobs(blob_values)
                seq += 1
                entry_id = f"{kind}-{seq}"
                digest = row_hash(prev, seq, entry_id, kind, scope, at, raw)
                conn.execute(
                    "INSERT INTO ledger_entries (seq, id, kind, scope, at, body, prev, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, entry_id, kind, scope, at, raw, prev, digest),
                )
                conn.execute("UPDATE ledger_head SET seq = ?, hash = ? WHERE id = 1", (seq, digest))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise EvidenceError(f"cannot write to ledger {self.source}: {e}") from e
        return Entry(seq, entry_id, kind, scope, at, body, prev, digest, raw)

    def _put_blobs(self, values: Blobs) -> None:
        wanted = sorted(values)
        present: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            present.update(
                d
                for (d,) in self.conn.execute(
                    f"SELECT digest FROM ledger_blobs WHERE digest IN ({marks})",
                    chunk,
                )
            )
        rows = [
            (d, values[d][0], zlib.compress(blob_bytes(values[d][1]), 1))
            for d in wanted
            if d not in present
        ]
        if rows:
            self.conn.executemany(
                "INSERT INTO ledger_blobs (digest, kind, data) VALUES (?, ?, ?)", rows
            )


def open_appender(url: str) -> SqliteAppender | None:
    """An appender for ``sqlite:///PATH`` when PATH is a ledger at ``SCHEMA_VERSION``; None
    for anything else (the caller then opens ``Ledger``, which creates or migrates it)."""
    if not url.startswith(PREFIX):
        return None
    rest = url[len(PREFIX) :]
    if not rest or rest == ":memory:" or "?" in rest or not Path(rest).is_file():
        return None
    try:
        conn = sqlite3.connect(rest, timeout=60, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        (version,) = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    except sqlite3.Error:
        version = None
    if version != SCHEMA_VERSION:
        conn.close()
        return None
    return SqliteAppender(conn, url)
