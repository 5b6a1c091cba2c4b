"""The admission decision log: JSON lines, hash-chained.

Each record carries ``prev`` (the previous record's ``hash``; the first record chains from
``GENESIS``) and ``hash``, the SHA-256 of the record's canonical JSON without ``hash``. Editing a
record breaks its own hash; removing or reordering records breaks the next record's ``prev``.
Truncating the tail leaves a valid shorter chain: compare the head hash ``verify`` returns with one
kept elsewhere (``--expect-head``) to detect that.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from compliance.errors import ComplianceError, EvidenceError, UsageError

GENESIS = hashlib.sha256(b"compliance decision log v1").hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class DecisionLog:
    """Appends records to ``path``; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._head, self._seq = _tail(path)
        self._file = path.open("ab")

    @property
    def head(self) -> str:
        return self._head

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            full = {**record, "seq": self._seq + 1, "prev": self._head}
            full["hash"] = record_hash(full)
            self._file.write(orjson.dumps(full, option=orjson.OPT_SORT_KEYS) + b"\n")
            self._file.flush()
            self._head, self._seq = full["hash"], full["seq"]
            return full

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _tail(path: Path) -> tuple[str, int]:
    """Head hash and sequence number to continue from (the chain is not re-verified here)."""
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS, 0
    last = b""
    with path.open("rb") as f:
        for raw in f:
            if raw.strip():
                last = raw
    try:
        record = orjson.loads(last)
        return str(record["hash"]), int(record["seq"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise EvidenceError(
            "last record is not a decision record; refusing to extend the chain", file=str(path)
        ) from e


@dataclass(frozen=True)
class LogVerification:
    records: int
    head: str


def verify(path: Path, expect_head: str | None = None) -> LogVerification:
    """Check the whole chain; raises EvidenceError naming the first bad record's line."""
    where = str(path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
        raise UsageError(f"no decision log file: {e.strerror}", file=where) from e
    except OSError as e:
        raise ComplianceError(f"cannot read decision log: {e.strerror}", file=where) from e
    prev, count = GENESIS, 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise EvidenceError(
                "record is not valid JSON (edited?)", file=where, line=number
            ) from e
        if not isinstance(record, dict) or not isinstance(record.get("hash"), str):
            raise EvidenceError("record has no hash (edited?)", file=where, line=number)
        if record_hash(record) != record["hash"]:
            raise EvidenceError(
                "record content does not match its hash (edited)", file=where, line=number
            )
        if record.get("prev") != prev:
            raise EvidenceError(
                "record does not chain from the previous one (a record was removed, inserted or reordered)",
                file=where,
                line=number,
            )
        if record.get("seq") != count + 1:
            raise EvidenceError(
                f"sequence {record.get('seq')!r}, expected {count + 1}", file=where, line=number
            )
        prev, count = record["hash"], count + 1
    if expect_head is not None and prev != expect_head:
        raise EvidenceError(
            f"head is {prev}, expected {expect_head} (records missing at the end?)", file=where
        )
    return LogVerification(records=count, head=prev)
