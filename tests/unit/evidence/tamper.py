"""Ways to break a bundle, each named after what it breaks."""

from __future__ import annotations

import gzip
import io
import tarfile

from compliance.evidence.bundle import ATTESTATION, pack_tar_gz

MTIME = 1_795_737_600


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}  # type: ignore[union-attr]


def changed_byte(data: bytes, name: str = "report.json") -> bytes:
    files = members(data)
    body = bytearray(files[name])
    body[len(body) // 2] ^= 0x01
    files[name] = bytes(body)
    return pack_tar_gz(files, MTIME)


def missing_file(data: bytes, name: str = "report.md") -> bytes:
    files = members(data)
    del files[name]
    return pack_tar_gz(files, MTIME)


def extra_file(data: bytes, name: str = "inputs/extra.yaml") -> bytes:
    files = members(data)
    files[name] = b"kind: Extra\n"
    return pack_tar_gz(files, MTIME)


def unsigned(data: bytes) -> bytes:
    files = members(data)
    del files[ATTESTATION]
    return pack_tar_gz(files, MTIME)


def swapped_signature(data: bytes, other: bytes) -> bytes:
    """The attestation of ``other`` (same key, different run) in place of this bundle's."""
    files = members(data)
    files[ATTESTATION] = members(other)[ATTESTATION]
    return pack_tar_gz(files, MTIME)


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def corrupt_gzip(data: bytes) -> bytes:
    body = bytearray(data)
    body[len(body) // 2] ^= 0xFF
    return bytes(body)


def raw_tar(entries: list[tarfile.TarInfo], contents: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz with exactly these entries (regular files get ``contents`` or b'x')."""
    contents = contents or {}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info in entries:
            if info.isreg():
                body = contents.get(info.name, b"x")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
            else:
                tar.addfile(info)
    return gzip.compress(raw.getvalue(), mtime=0)


def entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    return info


def with_entry(data: bytes, bad: tarfile.TarInfo) -> bytes:
    """The bundle's own members plus one unsafe entry."""
    files = members(data)
    return raw_tar([entry(n) for n in sorted(files)] + [bad], files)
