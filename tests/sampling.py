"""Fixed-seed samples for the exhaustive per-case equivalence tests: ``make test`` runs a
sample (the same on every run and machine), ``make test-all`` (``COMPLIANCE_EXHAUSTIVE=1``)
runs every case."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

EXHAUSTIVE = os.environ.get("COMPLIANCE_EXHAUSTIVE") == "1"
SEED = 20261127


def sample(items: Sequence[T], size: int, group: Callable[[T], str] | None = None) -> list[T]:
    """Every item under ``COMPLIANCE_EXHAUSTIVE=1``; else one item of each ``group`` (when
    given) plus others up to ``size``, drawn with a fixed seed, in their original order."""
    if EXHAUSTIVE or len(items) <= size:
        return list(items)
    rng = random.Random(SEED)
    chosen: set[int] = set()
    if group is not None:
        by_group: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            by_group.setdefault(group(item), []).append(i)
        chosen |= {rng.choice(indexes) for _, indexes in sorted(by_group.items())}
    rest = [i for i in range(len(items)) if i not in chosen]
    chosen |= set(rng.sample(rest, max(0, min(size - len(chosen), len(rest)))))
    return [items[i] for i in sorted(chosen)]
