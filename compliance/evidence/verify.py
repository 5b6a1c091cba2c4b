"""Offline verification of an evidence bundle.

The archive is checked whole before any content is used: every member must be a regular file
with a relative, normalised name, no duplicates. Contents are read into memory only; nothing is
ever written to disk. Then the DSSE signature, every subject digest, and the file set.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from compliance.errors import ComplianceError, EvidenceError, UsageError
from compliance.evidence import dsse
from compliance.evidence.bundle import ATTESTATION, MANIFEST

MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_MEMBERS = 100_000


def gunzip(data: bytes, name: str) -> bytes:
    """Decompress a single gzip stream with a size cap; truncation and trailing junk are errors."""
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_UNCOMPRESSED + 1)
    except zlib.error as e:
        raise EvidenceError(f"corrupt archive: not a valid gzip stream ({e})", file=name) from e
    if len(out) > MAX_UNCOMPRESSED:
        raise EvidenceError(
            f"archive expands beyond {MAX_UNCOMPRESSED} bytes; refusing it", file=name
        )
    if not d.eof:
        raise EvidenceError("truncated archive: the gzip stream ends early", file=name)
    if d.unused_data:
        raise EvidenceError("corrupt archive: data after the end of the gzip stream", file=name)
    return out


def _check_member(m: tarfile.TarInfo, seen: set[str], name: str) -> None:
    entry = m.name
    if m.issym() or m.islnk():
        raise EvidenceError(
            f"unsafe archive entry {entry!r}: a link (to {m.linkname!r})", file=name
        )
    if m.ischr() or m.isblk() or m.isfifo() or m.isdev():
        raise EvidenceError(f"unsafe archive entry {entry!r}: a device or FIFO", file=name)
    if not m.isreg():
        raise EvidenceError(f"unexpected archive entry {entry!r}: not a regular file", file=name)
    if entry.startswith("/") or (len(entry) > 1 and entry[1] == ":") or "\\" in entry:
        raise EvidenceError(f"unsafe archive entry {entry!r}: absolute path", file=name)
    parts = PurePosixPath(entry).parts
    if ".." in entry.split("/"):
        raise EvidenceError(f"unsafe archive entry {entry!r}: path traversal ('..')", file=name)
    if not parts or "/".join(parts) != entry or "." in entry.split("/"):
        raise EvidenceError(
            f"unsafe archive entry {entry!r}: not a normalised relative path", file=name
        )
    if entry in seen:
        raise EvidenceError(f"archive entry {entry!r} appears twice", file=name)
    seen.add(entry)


def read_members(data: bytes, name: str = "bundle") -> dict[str, bytes]:
    """Every member of the archive, in memory, after checking all of them are safe."""
    raw = gunzip(data, name)
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            members: list[tarfile.TarInfo] = []
            seen: set[str] = set()
            for m in tar:
                if len(members) >= MAX_MEMBERS:
                    raise EvidenceError(f"archive has more than {MAX_MEMBERS} entries", file=name)
                _check_member(m, seen, name)
                members.append(m)
            out: dict[str, bytes] = {}
            for m in members:
                f = tar.extractfile(m)
                if f is None:  # pragma: no cover - regular files always have a body
                    raise EvidenceError(f"cannot read archive entry {m.name!r}", file=name)
                out[m.name] = f.read()
    except tarfile.TarError as e:
        raise EvidenceError(f"corrupt archive: {e}", file=name) from e
    if not out:
        raise EvidenceError("empty archive", file=name)
    return out


def verify_bundle(data: bytes, key: Ed25519PublicKey, name: str = "bundle") -> list[str]:
    """Verify a bundle; return what was checked. Raises EvidenceError naming what failed."""
    members = read_members(data, name)
    checked = [
        f"archive: gzip intact, {len(members)} regular files, no links, devices, absolute or '..' paths"
    ]
    if ATTESTATION not in members:
        raise EvidenceError(f"unsigned: the bundle has no {ATTESTATION}", file=name)
    envelope = dsse.parse_envelope(members[ATTESTATION], f"{name}:{ATTESTATION}")
    statement = dsse.verify(envelope, key, f"{name}:{ATTESTATION}")
    checked.append(f"signature: Ed25519 by keyid {dsse.keyid(key)} over the DSSE envelope, valid")
    problems: list[str] = []
    subjects: dict[str, str] = {}
    for s in statement.subject:
        digest = s.digest.get("sha256")
        if digest is None:
            problems.append(f"subject {s.name!r} has no sha256 digest")
            continue
        subjects[s.name] = digest
    for subject, digest in sorted(subjects.items()):
        if subject not in members:
            problems.append(f"missing file {subject!r} (listed in the attestation)")
            continue
        actual = hashlib.sha256(members[subject]).hexdigest()
        if actual != digest:
            problems.append(
                f"tampered file {subject!r}: sha256 {actual[:16]}..., attested {digest[:16]}..."
            )
        else:
            checked.append(f"file {subject}: sha256 {digest} matches")
    for extra in sorted(set(members) - set(subjects) - {ATTESTATION}):
        problems.append(f"extra file {extra!r} (not in the attestation)")
    if problems:
        raise EvidenceError("; ".join(problems), file=name)
    checked.append(f"file set: {len(subjects)} attested files present, none missing, none extra")
    checked.append(_check_inputs(members, name))
    return checked


def _check_inputs(members: dict[str, bytes], name: str) -> str:
    """Every input the (attested) manifest lists has its own member under ``inputs/`` with
    the digest it records, and every such member is one input's."""
    if MANIFEST not in members:
        raise EvidenceError(f"the bundle has no {MANIFEST}", file=name)
    try:
        manifest = orjson.loads(members[MANIFEST])
    except orjson.JSONDecodeError as e:
        raise EvidenceError(f"{MANIFEST} is not valid JSON", file=name) from e
    if not isinstance(manifest, dict):
        raise EvidenceError(f"{MANIFEST} is not a JSON object", file=name)
    inputs = manifest.get("inputs", [])  # a bundle of other evidence (a period) holds none
    if not isinstance(inputs, list):
        raise EvidenceError(f"{MANIFEST}: inputs is not a list", file=name)
    problems: list[str] = []
    owners: dict[str, str] = {}
    for entry in inputs:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(f"manifest input {entry!r} names no member")
            continue
        file, path = str(entry.get("file")), entry["path"]
        if path in owners:
            problems.append(f"inputs {owners[path]!r} and {file!r} share the member {path!r}")
            continue
        owners[path] = file
        if not path.startswith("inputs/") or path not in members:
            problems.append(f"input {file!r} has no member {path!r}")
        elif hashlib.sha256(members[path]).hexdigest() != entry.get("redacted_sha256"):
            problems.append(f"input {file!r}: member {path!r} does not match the manifest")
    for extra in sorted(m for m in members if m.startswith("inputs/") and m not in owners):
        problems.append(f"member {extra!r} is no input of the manifest")
    if problems:
        raise EvidenceError("; ".join(problems), file=name)
    return f"inputs: {len(owners)} inputs in the manifest, each with its own member"


def verify_file(path: Path, key: Ed25519PublicKey) -> list[str]:
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
        raise UsageError(f"no bundle file: {e.strerror}", file=str(path)) from e
    except OSError as e:
        raise ComplianceError(f"cannot read bundle: {e.strerror}", file=str(path)) from e
    return verify_bundle(data, key, str(path))
