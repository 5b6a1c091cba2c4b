"""The admission decision log: JSON lines, hash-chained, with signed checkpoints.

Each record carries ``prev`` (the previous record's ``hash``; the first record chains from
``GENESIS``) and ``hash``, the SHA-256 of the record's canonical JSON without ``hash``. Editing a
record breaks its own hash; removing or reordering records breaks the next record's ``prev``.

Whoever can write the file can also re-chain it, and truncating the tail leaves a valid shorter
chain. With a signing key the log publishes its head: every ``checkpoint_every`` decisions and
on close, a DSSE envelope (an in-toto Statement whose subject is the log with the head hash as
digest, and whose predicate holds ``seq`` and ``head``) is appended to ``LOG.checkpoints``;
``signed_head`` signs the current head on request (``GET /v1/decisions/head``). ``verify`` with
checkpoints checks that the record at each signed ``seq`` still has the signed hash.

A last line torn by a crash (no newline and not a record) is moved to ``LOG.torn-<time>`` on
open, and an entry recording it (its size and SHA-256) continues the chain.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from compliance.errors import ComplianceError, EvidenceError, UsageError
from compliance.evidence import dsse

GENESIS = hashlib.sha256(b"compliance decision log v1").hexdigest()
CHECKPOINT_PREDICATE = "https://compliance.dev/attestation/decision-log-checkpoint/v1"
DEFAULT_CHECKPOINT_EVERY = 100


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def checkpoints_path(log: Path) -> Path:
    return log.with_name(log.name + ".checkpoints")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def sign_head(
    key: Ed25519PrivateKey, log_name: str, seq: int, head: str, reason: str
) -> dict[str, Any]:
    """A signed checkpoint of a log's head, as one JSON object (a DSSE envelope)."""
    statement = dsse.Statement(
        subject=[dsse.Subject(name=log_name, digest={"sha256": head})],
        predicate_type=CHECKPOINT_PREDICATE,
        predicate={"log": log_name, "seq": seq, "head": head, "time": _now(), "reason": reason},
    )
    envelope: dict[str, Any] = dsse.sign(statement, key).model_dump(by_alias=True)
    return envelope


class DecisionLog:
    """Appends records to ``path``; safe to call from several threads. With ``key``, writes
    signed checkpoints to ``LOG.checkpoints`` every ``checkpoint_every`` records and on close."""

    def __init__(
        self,
        path: Path,
        key: Ed25519PrivateKey | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
    ) -> None:
        self.path = path
        self.key = key
        self.checkpoint_every = max(1, checkpoint_every)
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._head, self._seq, torn = _recover(path)
        self._file = path.open("ab")
        self._since_checkpoint = 0
        self._checkpointed_seq = -1
        # checkpoints (two fsyncs, ~15 ms on a slow disk) are written off the caller's thread
        self._writer = ThreadPoolExecutor(1, "decision-checkpoints") if key is not None else None
        if torn is not None:
            self.append({"time": _now(), "event": "torn_tail", **torn})

    @property
    def head(self) -> str:
        return self._head

    @property
    def seq(self) -> int:
        return self._seq

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            full = {**record, "seq": self._seq + 1, "prev": self._head}
            full["hash"] = record_hash(full)
            self._file.write(orjson.dumps(full, option=orjson.OPT_SORT_KEYS) + b"\n")
            self._file.flush()
            self._head, self._seq = full["hash"], full["seq"]
            self._since_checkpoint += 1
            if self._writer is not None and self._since_checkpoint >= self.checkpoint_every:
                self._since_checkpoint = 0
                self._checkpointed_seq = self._seq
                self._writer.submit(self._checkpoint, self._seq, self._head, "interval")
            return full

    def signed_head(self) -> dict[str, Any]:
        """The current head: ``log``, ``records``, ``head`` and, with a key, ``signed`` (a
        checkpoint envelope an auditor can keep and verify with ``verify-log --checkpoints``)."""
        with self._lock:
            out: dict[str, Any] = {"log": self.path.name, "records": self._seq, "head": self._head}
            if self.key is not None:
                out["signed"] = sign_head(
                    self.key, self.path.name, self._seq, self._head, "request"
                )
            return out

    def close(self) -> None:
        """Write the pending checkpoints, then one of the final head (if not yet signed)."""
        with self._lock:
            if self._file.closed:
                return
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                if self._seq > 0 and self._checkpointed_seq != self._seq:
                    self._checkpoint(self._seq, self._head, "shutdown")
            self._file.close()

    def _checkpoint(self, seq: int, head: str, reason: str) -> None:
        """Append a signed checkpoint of record ``seq`` (the log's records on disk first)."""
        assert self.key is not None
        os.fsync(self._file.fileno())
        line = orjson.dumps(sign_head(self.key, self.path.name, seq, head, reason))
        with checkpoints_path(self.path).open("ab") as f:
            f.write(line + b"\n")
            f.flush()
            os.fsync(f.fileno())


def _recover(path: Path) -> tuple[str, int, dict[str, Any] | None]:
    """Head hash and sequence number to continue from, and what was moved aside when the
    last line was torn (the chain itself is not re-verified here)."""
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS, 0, None
    data = path.read_bytes()
    body, newline, tail = data.rpartition(b"\n")
    torn: dict[str, Any] | None = None
    if tail.strip():
        if _as_record(tail) is not None:  # complete, only its newline is missing
            with path.open("ab") as f:
                f.write(b"\n")
            body = data
        else:
            torn = _move_aside(path, tail, len(body) + len(newline))
    last = next((line for line in reversed(body.split(b"\n")) if line.strip()), None)
    if last is None:
        return GENESIS, 0, torn
    record = _as_record(last)
    if record is None:
        raise EvidenceError(
            "last record is not a decision record; refusing to extend the chain", file=str(path)
        )
    return str(record["hash"]), int(record["seq"]), torn


def _as_record(raw: bytes) -> dict[str, Any] | None:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("hash"), str):
        return None
    if not isinstance(record.get("seq"), int):
        return None
    return record


def _move_aside(path: Path, tail: bytes, keep: int) -> dict[str, Any]:
    """Write the torn ``tail`` to ``LOG.torn-<time>``, cut it from the log; what to record."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.torn-{stamp}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(tail)
        f.flush()
        os.fsync(f.fileno())
    with path.open("r+b") as f:
        f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())
    return {"moved_to": aside.name, "bytes": len(tail), "sha256": hashlib.sha256(tail).hexdigest()}


@dataclass(frozen=True)
class LogVerification:
    records: int
    head: str
    checkpoints: int = 0
    """Signed checkpoints verified (0 without ``--checkpoints``)."""
    checkpointed: int = 0
    """The highest record number a verified checkpoint covers."""


def verify(
    path: Path,
    expect_head: str | None = None,
    checkpoints: Path | None = None,
    key: Ed25519PublicKey | None = None,
) -> LogVerification:
    """Check the whole chain, and with ``checkpoints`` and ``key`` every signed checkpoint
    against it; raises EvidenceError naming the first bad record's or checkpoint's line."""
    where = str(path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
        raise UsageError(f"no decision log file: {e.strerror}", file=where) from e
    except OSError as e:
        raise ComplianceError(f"cannot read decision log: {e.strerror}", file=where) from e
    prev = GENESIS
    hashes: list[str] = []
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
        if record.get("seq") != len(hashes) + 1:
            raise EvidenceError(
                f"sequence {record.get('seq')!r}, expected {len(hashes) + 1}",
                file=where,
                line=number,
            )
        prev = record["hash"]
        hashes.append(prev)
    if expect_head is not None and prev != expect_head:
        raise EvidenceError(
            f"head is {prev}, expected {expect_head} (records missing at the end?)", file=where
        )
    if checkpoints is None:
        return LogVerification(records=len(hashes), head=prev)
    if key is None:
        raise UsageError("--checkpoints needs --key (the server's Ed25519 public key)")
    count, covered = verify_checkpoints(checkpoints, hashes, key)
    return LogVerification(len(hashes), prev, count, covered)


def verify_checkpoints(path: Path, hashes: list[str], key: Ed25519PublicKey) -> tuple[int, int]:
    """Every checkpoint of ``path`` (one envelope, or a ``/v1/decisions/head`` answer, a line)
    is signed by ``key`` and names a record whose hash is ``hashes[seq - 1]``. Returns the
    number of checkpoints and the highest record they cover."""
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise EvidenceError(f"cannot read checkpoints: {e.strerror}", file=where) from e
    count = covered = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise EvidenceError("checkpoint is not valid JSON", file=where, line=number) from e
        if isinstance(obj, dict) and "payload" not in obj and isinstance(obj.get("signed"), dict):
            obj = obj["signed"]
        envelope = dsse.parse_envelope(orjson.dumps(obj), f"{where}:{number}")
        statement = dsse.verify(envelope, key, f"{where}:{number}")
        predicate = statement.predicate
        seq, head = predicate.get("seq"), predicate.get("head")
        if statement.predicate_type != CHECKPOINT_PREDICATE or not isinstance(seq, int):
            raise EvidenceError("not a decision log checkpoint", file=where, line=number)
        if seq > len(hashes):
            raise EvidenceError(
                f"checkpoint signs record {seq} with head {str(head)[:16]}..., but the log has "
                f"{len(hashes)} records: records were removed",
                file=where,
                line=number,
            )
        if seq > 0 and hashes[seq - 1] != head:
            raise EvidenceError(
                f"record {seq} has hash {hashes[seq - 1][:16]}..., the signed checkpoint says "
                f"{str(head)[:16]}...: the log was rewritten and re-chained",
                file=where,
                line=number,
            )
        count, covered = count + 1, max(covered, seq)
    if count == 0:
        raise EvidenceError("no checkpoints to verify against", file=where)
    return count, covered
