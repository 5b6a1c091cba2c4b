"""The result cache's storage format: shard layout, seals, the index's records of files
and resources, and the digests that key them (compliance.incremental.cache)."""

from __future__ import annotations

import functools
import hashlib
import os
import zlib
from collections.abc import Sequence
from typing import Any, get_args

import orjson

from compliance.inputs.base import LoadOptions
from compliance.model.resource import Format

FORMAT = "16"
"""The layout of the files (a schema version); what the code computes is keyed by
``compliance.incremental.code.code_digest``."""
INDEX_SHARDS = 64
"""The index is split by folder (files) and unit name: a re-run after an edit rewrites
the few shards that changed, not one large file."""
BODY_SHARDS = 256
"""Bodies are split by a file's first namespace so that re-evaluating one namespace reads
and rewrites a small part of them."""

# a resource's record in the index: its id as loaded (a run gives the objects that share
# one ids of their own), line, format and the checks that assess it (None until known)
M_ID, M_KIND, M_NAME, M_NS, M_GROUP, M_DIGEST, M_LINE, M_FORMAT, M_ASSESSED = range(9)

_FORMATS = frozenset(get_args(Format))


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def options_digest(options: LoadOptions) -> str:
    """What besides a file's bytes changes what is loaded from it."""
    env = sorted((k, v) for k, v in options.env.items() if k.upper().startswith("BPI__"))
    return digest(orjson.dumps([list(options.sets), env, options.max_file_bytes]))


def stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def body_shard(meta: list[Any] | None, rel: str) -> int:
    """A file's body shard: by the namespace of its first resource, so that a namespace's
    files share one; a file of cluster-scoped or non-Kubernetes resources by its first
    kind, so that the resources the global and time-dependent checks read (Terraform,
    SecurityConfig) sit together rather than in every shard."""
    if meta is None:
        key = rel
    elif str(meta[M_GROUP]).startswith("ns:"):
        key = str(meta[M_GROUP])
    else:
        key = f"kind:{meta[M_KIND]}"
    return zlib.crc32(key.encode()) % BODY_SHARDS


def without_controls(rows: list[Any], controls: dict[str, list[str]]) -> list[Any]:
    """Rows as the index keeps them: ``controls`` None where they are all of the check's
    (almost every row; their strings were a fifth of the index)."""
    return [
        {**row, "controls": None} if row["controls"] == controls.get(row["check"]) else row
        for row in rows
    ]


def same_entries(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return len(old) == len(new) and all(old.get(rel) is entry for rel, entry in new.items())


def index_shard(name: str) -> int:
    """The index shard of a file (by its folder: a tree's files that change together
    mostly share one) or of a unit (by its name; every "@now" unit in one shard: a run
    without --now replaces them all, and rewrites that shard only)."""
    if not name.startswith(("group:", "global")):
        return _shard_of(name.rpartition("/")[0])
    return _shard_of("@now" if name.endswith("@now") else name)


@functools.lru_cache(maxsize=4096)
def _shard_of(key: str) -> int:
    return zlib.crc32(key.encode()) % INDEX_SHARDS


_SEAL_HEAD = b'{"sha256":"'
_SEAL_MID = b'","index":'


def seal(body: bytes) -> bytes:
    """The index as written: still one JSON document, its SHA-256 ahead of it, so that a
    damaged index is refused whole (~10 ms for 12 MB) instead of every entry being checked
    field by field on every run."""
    return b"".join((_SEAL_HEAD, hashlib.sha256(body).hexdigest().encode(), _SEAL_MID, body, b"}"))


def unseal(data: bytes) -> Any:
    """What ``seal`` sealed; None for anything else (foreign, truncated, edited)."""
    start = len(_SEAL_HEAD) + 64 + len(_SEAL_MID)
    if not (data.startswith(_SEAL_HEAD) and data[start - len(_SEAL_MID) : start] == _SEAL_MID):
        return None
    body = data[start:-1]
    if (
        data[-1:] != b"}"
        or hashlib.sha256(body).hexdigest().encode()
        != data[len(_SEAL_HEAD) : start - len(_SEAL_MID)]
    ):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def valid_row(row: Any) -> bool:
    if not (isinstance(row, list) and len(row) == 11):
        return False
    rid, kind, name, ns, file, line, end, fmt, body, facts, lines = row
    return (
        isinstance(rid, str)
        and isinstance(kind, str)
        and isinstance(name, str)
        and (ns is None or isinstance(ns, str))
        and isinstance(file, str)
        and isinstance(line, int)
        and (end is None or isinstance(end, int))
        and fmt in _FORMATS
        and isinstance(body, dict)
        and isinstance(facts, dict)
        and isinstance(lines, dict)
    )


def resource_digest(row: Sequence[Any]) -> str:
    """Everything loaded for a resource (its row: body, facts, line marks, file, lines)."""
    return hashlib.blake2b(orjson.dumps(row)).hexdigest()[:32]
