"""An LRU of admission evaluation results, keyed by what the evaluation depends on.

GitOps controllers re-apply unchanged manifests, clients retry, ``kubectl --dry-run=server`` is
followed by the real request: identical objects reach the webhook again and again. The key is
the SHA-256 of the canonical JSON (sorted keys) of the operation, the namespace, the object
without the fields the API server changes on every write (``metadata.uid``,
``resourceVersion``, ``generation``, ``creationTimestamp``, ``managedFields``), and the
server's evaluation settings (pack digests, effective parameters, mode, fail-on). A changed
object, pack or parameter is a miss.

Only evaluations without errors are cached (an engine error or a timeout is retried next time).
Entries older than ``ttl`` seconds are misses: a few checks compare dates with the time of
evaluation, so a cached answer must not live for ever.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

VOLATILE_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")
DEFAULT_SIZE = 10_000
DEFAULT_TTL = 600.0


def stable_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` without the metadata the API server rewrites on every write."""
    out = dict(obj)
    metadata = out.get("metadata")
    if isinstance(metadata, Mapping):
        out["metadata"] = {k: v for k, v in metadata.items() if k not in VOLATILE_METADATA}
    return out


def cache_key(operation: str, namespace: str, obj: Mapping[str, Any], settings: bytes) -> str:
    material = orjson.dumps(
        {"operation": operation, "namespace": namespace, "object": stable_object(obj)},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(settings + b"\x00" + material).hexdigest()


def settings_digest(settings: Mapping[str, Any]) -> bytes:
    """The server's evaluation settings as canonical bytes (part of every key)."""
    return orjson.dumps(dict(settings), option=orjson.OPT_SORT_KEYS)


class DecisionCache:
    """A thread-safe LRU with a time limit. ``size`` 0 disables it (every lookup misses)."""

    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        ttl: float = DEFAULT_TTL,
        clock: Any = time.monotonic,
    ) -> None:
        if size < 0:
            raise ValueError("cache size must be >= 0")
        self.size, self.ttl, self._clock = size, ttl, clock
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Any | None:
        if self.size == 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or self._clock() - item[0] > self.ttl:
                if item is not None:
                    del self._items[key]
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: str, value: Any) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
