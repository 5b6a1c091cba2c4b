"""``compliance ledger verify``: the chain, every blob, the signatures and the bundles."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from compliance.evidence import dsse
from compliance.ledger.store import GENESIS, Entry, Ledger, canonical, row_hash

BLOB_FIELDS = ("parameters", "controls", "findings", "resources", "inputs")


@dataclass
class Verification:
    entries: int = 0
    runs: int = 0
    decisions: int = 0
    blobs: int = 0
    signed: int = 0
    bundles_checked: int = 0
    bundles_unreachable: list[str] = field(default_factory=list)
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)


def _check_signature(entry: Entry, key: Ed25519PublicKey | None, out: Verification) -> None:
    signer = entry.body.get("signer")
    if not signer:
        if key is not None:
            out.problems.append(f"{entry.id}: not signed (expected keyid {dsse.keyid(key)[:16]})")
        return
    try:
        raw = base64.b64decode(signer["public_key"], validate=True)
        pub = Ed25519PublicKey.from_public_bytes(raw)
        sig = base64.b64decode(signer["sig"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        out.problems.append(f"{entry.id}: malformed signer")
        return
    if dsse.keyid(pub) != signer.get("keyid"):
        out.problems.append(f"{entry.id}: signer keyid does not match its public key")
        return
    if key is not None and dsse.keyid(key) != signer["keyid"]:
        out.problems.append(
            f"{entry.id}: signed by keyid {signer['keyid'][:16]}, expected {dsse.keyid(key)[:16]}"
        )
        return
    unsigned = {k: v for k, v in entry.body.items() if k != "signer"}
    try:
        pub.verify(sig, canonical(unsigned))
    except InvalidSignature:
        out.problems.append(f"{entry.id}: signature does not verify (row edited after signing)")
        return
    out.signed += 1


def _check_bundle(entry: Entry, base: Path, out: Verification) -> None:
    bundle = entry.body.get("bundle")
    if not bundle or not bundle.get("path"):
        return
    path = Path(bundle["path"])
    if not path.is_absolute():
        path = base / path
    try:
        data = path.read_bytes()
    except OSError:
        out.bundles_unreachable.append(f"{entry.id}: {bundle['path']}")
        return
    actual = hashlib.sha256(data).hexdigest()
    if actual != bundle.get("sha256"):
        out.problems.append(
            f"{entry.id}: bundle {bundle['path']} has sha256 {actual[:16]}..., "
            f"the ledger recorded {str(bundle.get('sha256'))[:16]}..."
        )
    else:
        out.bundles_checked += 1


def verify_ledger(
    ledger: Ledger, key: Ed25519PublicKey | None = None, bundle_base: Path | None = None
) -> Verification:
    """Check everything; problems are collected (the first few per kind), never raised."""
    out = Verification()
    present: dict[str, bool] = {}
    population_refs: set[str] = set()
    for digest, kind, data in ledger.blob_rows():
        out.blobs += 1
        try:
            value = orjson.loads(zlib.decompress(data))
        except (zlib.error, orjson.JSONDecodeError):
            out.problems.append(f"blob {digest[:16]}: unreadable")
            present[digest] = False
            continue
        ok = hashlib.sha256(canonical(value)).hexdigest() == digest
        if not ok:
            out.problems.append(f"blob {digest[:16]}: content does not match its digest (edited)")
        present[digest] = ok
        if kind == "controls" and ok:
            population_refs.update(c["population"] for c in value if c.get("population"))
    prev, seq = GENESIS, 0
    for entry in ledger.iter_all():
        seq += 1
        out.entries += 1
        if entry.seq != seq:
            out.problems.append(f"{entry.id}: sequence {entry.seq}, expected {seq} (row removed?)")
            seq = entry.seq
        if entry.prev != prev:
            out.problems.append(
                f"{entry.id}: does not chain from the previous row (removed, inserted or reordered)"
            )
        if (
            row_hash(
                entry.prev, entry.seq, entry.id, entry.kind, entry.scope, entry.at, entry.raw_body
            )
            != entry.hash
        ):
            out.problems.append(f"{entry.id}: content does not match its hash (edited)")
        prev = entry.hash
        if entry.kind == "run":
            out.runs += 1
            for name in BLOB_FIELDS:
                ref = entry.body.get(name)
                if ref and ref not in present:
                    out.problems.append(f"{entry.id}: {name} blob {ref[:16]} is missing")
            _check_signature(entry, key, out)
            _check_bundle(entry, bundle_base or Path.cwd(), out)
        elif entry.kind == "decision":
            out.decisions += 1
    for ref in sorted(population_refs):
        if ref not in present:
            out.problems.append(f"population blob {ref[:16]} is missing")
    head_seq, head_hash = ledger.head()
    if (head_seq, head_hash) != (seq, prev):
        out.problems.append(
            f"head says row {head_seq} ({head_hash[:16]}), the chain ends at row {seq} "
            f"({prev[:16]}): rows missing at the end?"
        )
    out.head = prev
    return out
