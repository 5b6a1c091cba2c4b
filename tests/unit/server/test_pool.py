"""Evaluation threads: each worker builds and alone uses its evaluator; errors reach the caller."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from compliance.server.pool import EvaluatorPool


class Owned:
    """Stands in for an Evaluator; remembers the thread that built it."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()


def test_jobs_run_on_the_thread_that_built_the_evaluator() -> None:
    pool = EvaluatorPool(Owned, size=2)  # type: ignore[arg-type]

    async def main() -> list[bool]:
        return list(
            await asyncio.gather(
                *(
                    pool.run(lambda ev: ev.thread == threading.get_ident(), timeout=10)
                    for _ in range(20)
                )
            )
        )

    try:
        assert all(asyncio.run(main()))
        assert pool.ready and pool.size == 2
    finally:
        pool.close()


def test_job_errors_and_startup_errors_reach_the_caller() -> None:
    pool = EvaluatorPool(Owned, size=1)  # type: ignore[arg-type]

    def boom(_: Any) -> None:
        raise ValueError("bad job")

    with pytest.raises(ValueError, match="bad job"):
        asyncio.run(pool.run(boom, timeout=10))
    pool.close()

    def broken() -> Any:
        raise RuntimeError("packs failed to compile")

    failing = EvaluatorPool(broken, size=1)
    with pytest.raises(RuntimeError, match="packs failed to compile"):
        asyncio.run(failing.run(lambda ev: None, timeout=10))
    assert not failing.ready and "packs failed to compile" in (failing.startup_error or "")
