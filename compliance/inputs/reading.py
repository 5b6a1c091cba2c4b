"""Reading input bytes safely: regular files only, never more than the size limit.

The file type is checked on the opened descriptor (``fstat``), so a path swapped for a
FIFO or a device between a listing and the read is still refused; the open never blocks
(``O_NONBLOCK``: opening a FIFO without a writer would wait forever).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from compliance.errors import InputError

_CHUNK = 1024 * 1024

MAX_CERT_BYTES = 1024 * 1024
CERT_OUTSIDE = "cert_file lies outside the scanned folder, not read"
"""What a SecurityConfig's certificate fact says of a cert_file outside the scanned root:
the same words whether or not such a file exists (no existence oracle)."""

_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def file_type(mode: int) -> str:
    for test, name in _FILE_TYPES:
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: Path | str, rel: str, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", file=rel) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"not a regular file ({file_type(st.st_mode)}): not read", file=rel)
        if st.st_size > limit:
            raise InputError(f"file is {st.st_size} bytes, over the {limit}-byte limit", file=rel)
        data = _read_fd(fd, st.st_size, rel, limit)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", file=rel) from e
    finally:
        os.close(fd)
    return data


def _read_fd(fd: int, size: int, rel: str, limit: int) -> bytes:
    """A regular file's bytes: its size (plus one, to see it grew) in one read, then
    until the end, never past ``limit``."""
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data
    parts = [data]
    total = len(data)
    while total <= limit:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
    raise InputError(f"input is over the {limit}-byte limit: not read", file=rel)


def read_bounded(stream: BinaryIO, rel: str, limit: int) -> bytes:
    """At most ``limit`` bytes of ``stream``; more is an error (a file that grew while
    read, or standard input), found after reading one byte past the limit."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise InputError(f"input is over the {limit}-byte limit: not read", file=rel)
    return b"".join(parts)


def decode(data: bytes, rel: str) -> str:
    if b"\x00" in data[:8192]:
        raise InputError("binary file (NUL bytes), not a configuration file", file=rel)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x})", file=rel, line=line
        ) from e


def read_stdin(stream: BinaryIO, limit: int) -> str:
    """Standard input as text, under the same limit as a file. Raises InputError."""
    return decode(read_bounded(stream, "-", limit), "-")
