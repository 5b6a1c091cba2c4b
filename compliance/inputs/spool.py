"""Bytes load workers hand the main process through memory they share with it, instead of
through the pipe of their results (pickled, written, read and unpickled: four copies).

A ``Spool`` is one anonymous shared mapping made in the main process before it forks its
workers, which inherit it: a worker copies a file's resources' JSON into it once and sends
where they are (``Spooled``); the main process reads them there as ``memoryview`` slices,
without a copy. A worker that does not share it (not forked from this process, or the
spool is full) sends the bytes themselves."""

from __future__ import annotations

import mmap
import multiprocessing
import os
from collections.abc import Sequence
from typing import NamedTuple

_HEADER = 8
"""The first bytes of the mapping: how many after them are taken."""


class Spooled(NamedTuple):
    """Where a worker wrote bytes in the spool."""

    offset: int
    length: int


class Spool:
    def __init__(self, capacity: int) -> None:
        self.token = os.urandom(8).hex()
        """Names this spool to the workers (a worker holding another spool, or none, does
        not write)."""
        self._map = mmap.mmap(-1, _HEADER + capacity)  # MAP_SHARED: forks write into it
        self._lock = multiprocessing.get_context("fork").Lock()
        self.view = memoryview(self._map)

    def put(self, parts: Sequence[bytes]) -> list[Spooled] | None:
        """Where each of ``parts`` was written, None (nothing written) if they do not fit."""
        total = sum(len(p) for p in parts)
        with self._lock:
            end = _HEADER + int.from_bytes(self.view[:_HEADER], "little")
            if end + total > len(self.view):
                return None
            self.view[:_HEADER] = (end + total - _HEADER).to_bytes(_HEADER, "little")
        out = []
        for part in parts:
            self.view[end : end + len(part)] = part
            out.append(Spooled(end, len(part)))
            end += len(part)
        return out

    def get(self, where: Spooled) -> memoryview:
        return self.view[where.offset : where.offset + where.length]


def available() -> bool:
    """Whether workers can share a spool: they are forked (``fork`` start method)."""
    return "fork" in multiprocessing.get_all_start_methods()
