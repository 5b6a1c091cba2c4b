"""The ledger's chain arithmetic, without any database code: canonical JSON, row and blob
hashes, the ``Entry`` a row reads as, and the schema version this tool writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

GENESIS = "0" * 64
"""The ``prev`` of the first row."""

SCHEMA_VERSION = 1
"""The number of migrations in ``schema.MIGRATIONS`` (a test holds the two equal)."""

Blobs = dict[str, tuple[str, bytes | tuple[bytes, ...]]]
"""digest -> (kind, canonical JSON bytes, whole or as the pieces they join from): the blobs a
row names."""


def canonical(value: Any) -> bytes:
    """Compact JSON with sorted keys; keys that are not strings written as strings. Written
    first without orjson's non-string-key mode (slower, and the same bytes when every key is
    a string), and again with it when a key is not a string."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def row_hash(prev: str, seq: int, entry_id: str, kind: str, scope: str, at: str, body: str) -> str:
    """SHA-256 over the previous hash and the row's canonical content."""
    material = canonical(
        {"seq": seq, "id": entry_id, "kind": kind, "scope": scope, "at": at, "body": body}
    )
    return hashlib.sha256(prev.encode() + b"\n" + material).hexdigest()


def blob_digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def put_blob(blobs: Blobs, kind: str, value: Any) -> str:
    """Add ``value`` to ``blobs`` as canonical JSON; return its digest."""
    return put_bytes(blobs, kind, canonical(value))


def put_bytes(blobs: Blobs, kind: str, data: bytes) -> str:
    """Add a blob's canonical JSON bytes to ``blobs``; return their digest."""
    digest = hashlib.sha256(data).hexdigest()
    blobs[digest] = (kind, data)
    return digest


def put_pieces(blobs: Blobs, kind: str, pieces: tuple[bytes, ...]) -> str:
    """Add a blob given as pieces of its canonical JSON bytes; return the SHA-256 of those
    bytes, hashed piece by piece: they are joined only if the blob is written."""
    h = hashlib.sha256()
    for piece in pieces:
        h.update(piece)
    digest = h.hexdigest()
    blobs[digest] = (kind, pieces)
    return digest


def blob_bytes(data: bytes | tuple[bytes, ...]) -> bytes:
    """A blob's canonical JSON bytes, joined when ``blobs`` holds them in pieces."""
    return data if isinstance(data, bytes) else b"".join(data)


@dataclass(frozen=True)
class Entry:
    seq: int
    id: str
    kind: str
    scope: str
    at: str
    body: dict[str, Any]
    prev: str
    hash: str
    raw_body: str


class Appender(Protocol):
    """What records into a ledger: ``Ledger`` and the SQLite appender."""

    source: str

    def append(
        self, kind: str, scope: str, at: str, body: dict[str, Any], blob_values: Blobs | None = None
    ) -> Entry: ...


def utc_text(moment: datetime) -> str:
    """``2026-11-27T00:00:00Z``: sortable as text, the form every ``at`` column holds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
