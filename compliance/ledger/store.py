"""The ledger: a hash chain of runs and admission decisions over content-addressed blobs.

Appends are serialised by locking the single ``ledger_head`` row (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so several processes can share one ledger and the
chain stays linear. Blobs are written in the same transaction, before the row that names them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import SQLAlchemyError

from compliance.errors import EvidenceError, UsageError
from compliance.ledger.chain import (
    GENESIS,
    Blobs,
    Entry,
    blob_bytes,
    blob_digest,
    canonical,
    row_hash,
    utc_text,
)
from compliance.ledger.lru import Lru
from compliance.ledger.schema import (
    blobs,
    engine_for,
    entries,
    head,
    migrate,
    redact_url,
    writer,
)

BLOB_CACHE_BYTES = 64 << 20
"""The blobs a ``Ledger`` keeps decoded, weighed by their JSON text: about two runs of 10k
resources (a server process reads many runs; the least recently read go first)."""


class Ledger:
    """One ledger database. ``Ledger(url)`` creates or upgrades its schema."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.source = redact_url(url)
        try:
            self.engine = engine_for(url)
            migrate(self.engine, utc_text(datetime.now(UTC)))
        except SQLAlchemyError as e:
            raise UsageError(f"cannot open ledger {self.source}: {_short(e)}") from e
        self._blob_cache: Lru[str, Any] = Lru(BLOB_CACHE_BYTES)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(
        self,
        kind: str,
        scope: str,
        at: str,
        body: dict[str, Any],
        blob_values: Blobs | None = None,
    ) -> Entry:
        """Add one row (and the blobs it names: digest -> (kind, value)) at the chain's end."""
        raw = canonical(body).decode()
        try:
            with writer(self.engine) as conn:
                current = conn.execute(
                    select(head.c.seq, head.c.hash).where(head.c.id == 1).with_for_update()
                ).one()
                if blob_values:
                    self._put_blobs(conn, blob_values)
                seq, prev = current.seq + 1, current.hash
                entry_id = f"{kind}-{seq}"
                digest = row_hash(prev, seq, entry_id, kind, scope, at, raw)
                conn.execute(
                    entries.insert().values(
                        seq=seq,
                        id=entry_id,
                        kind=kind,
                        scope=scope,
                        at=at,
                        body=raw,
                        prev=prev,
                        hash=digest,
                    )
                )
                conn.execute(update(head).where(head.c.id == 1).values(seq=seq, hash=digest))
        except SQLAlchemyError as e:
            raise EvidenceError(f"cannot write to ledger {self.source}: {_short(e)}") from e
        return Entry(seq, entry_id, kind, scope, at, body, prev, digest, raw)

    def _put_blobs(self, conn: Connection, values: Blobs) -> None:
        wanted = sorted(values)
        present: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            present.update(
                conn.execute(select(blobs.c.digest).where(blobs.c.digest.in_(chunk))).scalars()
            )
        rows = [
            {
                "digest": d,
                "kind": values[d][0],
                "data": zlib.compress(blob_bytes(values[d][1]), 1),
            }
            for d in wanted
            if d not in present
        ]
        if rows:
            conn.execute(blobs.insert(), rows)

    def blob(self, digest: str) -> Any:
        """A blob's value (cached, bounded: unchanged runs share their blobs)."""
        cached = self._blob_cache.get(digest)
        if cached is not None:
            return cached
        with self._read() as conn:
            data = conn.execute(select(blobs.c.data).where(blobs.c.digest == digest)).scalar()
        if data is None:
            raise EvidenceError(f"ledger {self.source}: blob {digest[:16]} is missing")
        text = zlib.decompress(data)
        value = orjson.loads(text)
        self._blob_cache.put(digest, value, len(text))
        return value

    def blobs_of(self, digests: Iterable[str]) -> dict[str, Any]:
        """Many blobs' values by digest (cached as ``blob`` caches them): those not cached
        are read in one query per 500 digests instead of one query each."""
        out: dict[str, Any] = {}
        missing = []
        for digest in dict.fromkeys(digests):
            cached = self._blob_cache.get(digest)
            if cached is None:
                missing.append(digest)
            else:
                out[digest] = cached
        for i in range(0, len(missing), 500):
            query = select(blobs.c.digest, blobs.c.data).where(
                blobs.c.digest.in_(missing[i : i + 500])
            )
            with self._read() as conn:
                rows = conn.execute(query).all()
            for digest, data in rows:
                text = zlib.decompress(data)
                out[digest] = value = orjson.loads(text)
                self._blob_cache.put(digest, value, len(text))
        lost = [d for d in missing if d not in out]
        if lost:
            raise EvidenceError(f"ledger {self.source}: blob {lost[0][:16]} is missing")
        return out

    def blob_rows(self) -> Iterator[tuple[str, str, bytes]]:
        with self._read() as conn:
            for row in conn.execute(select(blobs.c.digest, blobs.c.kind, blobs.c.data)):
                yield row.digest, row.kind, row.data

    def entries(
        self,
        kind: str | None = None,
        scope: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> list[Entry]:
        """Rows in chain order; ``start``/``end`` bound ``at`` (inclusive, exclusive)."""
        query = select(entries).order_by(entries.c.seq)
        if kind is not None:
            query = query.where(entries.c.kind == kind)
        if scope is not None:
            query = query.where(entries.c.scope == scope)
        if start is not None:
            query = query.where(entries.c.at >= start)
        if end is not None:
            query = query.where(entries.c.at < end)
        with self._read() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def iter_all(self) -> Iterator[Entry]:
        with self._read() as conn:
            for row in conn.execute(select(entries).order_by(entries.c.seq)).yield_per(1000):
                yield _entry(row)

    def head(self) -> tuple[int, str]:
        with self._read() as conn:
            row = conn.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
        return int(row.seq), str(row.hash)

    def last_hash(self, kind: str) -> str:
        """The hash of the latest row of ``kind``; GENESIS when there is none."""
        query = select(entries.c.hash).where(entries.c.kind == kind).order_by(entries.c.seq.desc())
        with self._read() as conn:
            value = conn.execute(query.limit(1)).scalar()
        return str(value) if value is not None else GENESIS

    def get(self, entry_id: str) -> Entry:
        wanted = f"run-{entry_id}" if entry_id.isdigit() else entry_id
        with self._read() as conn:
            row = conn.execute(select(entries).where(entries.c.id == wanted)).first()
        if row is None:
            raise UsageError(f"no entry {entry_id!r} in ledger {self.source}")
        return _entry(row)

    def _read(self) -> Any:
        try:
            return self.engine.connect()
        except SQLAlchemyError as e:
            raise EvidenceError(f"cannot read ledger {self.source}: {_short(e)}") from e


def _entry(row: Any) -> Entry:
    return Entry(
        seq=row.seq,
        id=row.id,
        kind=row.kind,
        scope=row.scope,
        at=row.at,
        body=orjson.loads(row.body),
        prev=row.prev,
        hash=row.hash,
        raw_body=row.body,
    )


def _short(e: Exception) -> str:
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return text[0] if text else type(e).__name__


__all__ = ["GENESIS", "Entry", "Ledger", "blob_digest", "canonical", "row_hash", "utc_text"]
