"""The ledger's tables, its versioned migrations and the engine for a ledger URL.

``schema_version`` holds one row per applied migration; ``migrate`` applies the missing ones in
order, inside one transaction that holds a lock (an advisory lock on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite), so that two processes opening a new ledger at once do not race.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from compliance.errors import UsageError
from compliance.ledger.chain import GENESIS

PASSWORD = re.compile(r"(://[^/:@]*:)[^@/]*@")
metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("scope", String(200), nullable=False, index=True),
    Column("at", String(40), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
"""The hash chain: one row per run or admission decision. ``body`` is canonical JSON; ``hash``
is SHA-256 over ``prev`` and the body, so editing, removing or reordering a row breaks it."""

head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
"""One row: the chain's last sequence number and hash, locked while a row is appended."""

blobs = Table(
    "ledger_blobs",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)
"""Content-addressed, zlib-compressed canonical JSON: control populations, findings sets,
resource sets and parameters. A run that changes nothing adds no blob."""


def _v1(conn: Connection) -> None:
    for table in (entries, head, blobs):
        table.create(conn, checkfirst=True)
    conn.execute(head.insert().values(id=1, seq=0, hash=GENESIS))


MIGRATIONS: list[Callable[[Connection], None]] = [_v1]
"""Migration N is ``MIGRATIONS[N - 1]``; append new ones, never edit an applied one."""
SCHEMA_VERSION = len(MIGRATIONS)


def _sqlite_path(url: str) -> Path | None:
    rest = url[len("sqlite:///") :]
    return Path(rest) if rest and rest != ":memory:" else None


def engine_for(url: str) -> Engine:
    """An engine for ``sqlite:///PATH`` or ``postgresql://...`` (the psycopg 3 driver)."""
    if url.startswith("sqlite:///"):
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # a writer takes the write lock when it begins: appends queue instead of failing
            writer = conn.get_execution_options().get("writer")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        try:
            parsed = make_url(url.replace("postgres://", "postgresql://", 1))
        except ArgumentError as e:
            raise UsageError(f"invalid ledger URL {redact_url(url)!r}: {e}") from e
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise UsageError(
        f"unsupported ledger URL {redact_url(url)!r}: use sqlite:///PATH or postgresql://..."
    )


@contextlib.contextmanager
def writer(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that commits at the end (SQLite: holding the write lock)."""
    with engine.connect().execution_options(writer=True) as conn, conn.begin():
        yield conn


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (URLs appear in reports and errors)."""
    return PASSWORD.sub(r"\1***@", url)


def migrate(engine: Engine, now: str) -> int:
    """Apply the missing migrations; return the schema version."""
    with writer(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(726170)"))
        schema_version.create(conn, checkfirst=True)
        current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
        if current > SCHEMA_VERSION:
            raise UsageError(
                f"the ledger's schema is version {current}, newer than this tool's "
                f"{SCHEMA_VERSION}: upgrade compliance"
            )
        for number in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(schema_version.insert().values(version=number, applied_at=now))
        return SCHEMA_VERSION


__all__ = [
    "SQLAlchemyError",
    "blobs",
    "engine_for",
    "entries",
    "head",
    "migrate",
    "redact_url",
    "writer",
]
