"""Work spread over processes: the machine's cores, since the engine and PyYAML's
constructor hold the GIL."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def map_in_processes(
    fn: Callable[..., T], args: Sequence[tuple[Any, ...]], workers: int
) -> list[T]:
    """``[fn(*a) for a in args]`` over ``workers`` forked processes, results in order.

    Fork (where available) so children inherit the imported modules instead of importing
    them again. Chunks are small enough that one large file does not leave a core idle."""
    workers = max(1, min(workers, len(args)))
    if workers == 1:
        return [fn(*a) for a in args]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunksize = max(1, len(args) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_star, [(fn, a) for a in args], chunksize=chunksize))


def _star(item: tuple[Callable[..., T], tuple[Any, ...]]) -> T:
    fn, a = item
    return fn(*a)
