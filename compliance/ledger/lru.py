"""A small thread-safe least-recently-used cache with a bound on the total weight of what it
holds (a count, or the bytes a value was read from)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """Holds values while their weights sum to at most ``max_weight``; adding one evicts the
    least recently used. A value heavier than the bound is not kept."""

    def __init__(self, max_weight: int) -> None:
        self.max_weight = max_weight
        self.weight = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: K, value: V, weight: int = 1) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            if weight > self.max_weight:
                return
            self._items[key] = (value, weight)
            self.weight += weight
            while self.weight > self.max_weight:
                _, (_, dropped) = self._items.popitem(last=False)
                self.weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0
