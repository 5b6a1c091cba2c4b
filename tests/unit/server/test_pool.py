"""Evaluation worker processes: jobs run outside the server process; a crashed, failing or hung
worker fails its job with a named WorkerError and is replaced; start-up errors reach the caller."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from compliance.evaluation.executor import _cgroup_quota, available_cpus
from compliance.server.pool import EvaluatorPool, WorkerError


class Owned:
    """Stands in for the worker's evaluators (built in the worker process)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.calls = 0

    def whoami(self) -> tuple[int, int]:
        self.calls += 1
        return self.pid, self.calls

    def crash(self) -> None:
        os._exit(3)

    def boom(self) -> None:
        raise ValueError("bad job")

    def hang(self) -> None:
        time.sleep(120)

    def niceness(self) -> int:
        return os.nice(0)


def broken() -> Any:
    raise RuntimeError("packs failed to compile")


@pytest.fixture
def pool() -> Any:
    p = EvaluatorPool(Owned, size=2)
    assert p.wait_ready()
    yield p
    p.close()


def test_jobs_run_in_worker_processes_that_keep_their_state(pool: EvaluatorPool) -> None:
    async def main() -> list[tuple[int, int]]:
        return list(await asyncio.gather(*(pool.run("whoami", timeout=30) for _ in range(20))))

    answers = asyncio.run(main())
    pids = {pid for pid, _ in answers}
    assert os.getpid() not in pids
    assert pids <= set(pool.pids()) and len(pool.pids()) == 2
    # each worker built its evaluators once and kept them: its call counter only grows
    for pid in pids:
        counts = [n for p, n in answers if p == pid]
        assert sorted(counts) == list(range(1, len(counts) + 1))


def test_a_crashed_worker_fails_its_job_and_is_replaced(pool: EvaluatorPool) -> None:
    before = set(pool.pids())
    with pytest.raises(WorkerError, match=r"died \(exit code 3\)"):
        asyncio.run(pool.run("crash", timeout=30))
    assert pool.wait_ready()
    assert pool.restarts == 1
    after = set(pool.pids())
    assert len(after) == 2 and after != before
    pid, _ = asyncio.run(pool.run("whoami", timeout=30))
    assert pid in after


def test_job_errors_reach_the_caller_and_the_worker_keeps_serving(pool: EvaluatorPool) -> None:
    before = set(pool.pids())
    with pytest.raises(WorkerError, match="ValueError: bad job"):
        asyncio.run(pool.run("boom", timeout=30))
    assert set(pool.pids()) == before and pool.restarts == 0


def test_a_hung_worker_is_killed_and_replaced() -> None:
    pool = EvaluatorPool(Owned, size=1, job_timeout=0.5)
    try:
        assert pool.wait_ready()
        (first,) = pool.pids()
        with pytest.raises(WorkerError, match="overran 0.5s"):
            pool.submit("hang").result(timeout=60)
        assert pool.wait_ready()
        pid, calls = asyncio.run(pool.run("whoami", timeout=30))
        assert pid != first and calls == 1
    finally:
        pool.close()


def test_startup_errors_reach_the_caller() -> None:
    failing = EvaluatorPool(broken, size=1)
    try:
        with pytest.raises(WorkerError, match="RuntimeError: packs failed to compile"):
            asyncio.run(failing.run("whoami", timeout=60))
        assert not failing.ready
        assert "packs failed to compile" in (failing.startup_error or "")
    finally:
        failing.close()


def test_workers_run_at_the_requested_niceness() -> None:
    pool = EvaluatorPool(Owned, size=1, nice=3)
    try:
        assert asyncio.run(pool.run("niceness", timeout=30)) == min(os.nice(0) + 3, 19)
    finally:
        pool.close()


def test_cgroup_quotas_cap_the_default_worker_count(tmp_path: Path) -> None:
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("150000 100000\n")
    assert _cgroup_quota(str(v2)) == 1.5
    (v2 / "cpu.max").write_text("max 100000\n")
    assert _cgroup_quota(str(v2)) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert _cgroup_quota(str(v1)) == 1.0
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert _cgroup_quota(str(v1)) is None
    assert 1 <= available_cpus() <= (os.cpu_count() or 1)
