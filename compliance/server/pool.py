"""Dedicated evaluation threads, each owning an Evaluator it built itself.

The regorus engine is ``unsendable``: using it from any thread but the one that created it panics
("regoruspy::Engine is unsendable, but sent to another thread"). A generic thread pool with a
shared Evaluator therefore cannot work; each worker here builds its own Evaluator and only that
thread ever touches it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from compliance.evaluate import Evaluator

T = TypeVar("T")
Job = Callable[[Evaluator], Any]


class EvaluatorPool:
    def __init__(self, factory: Callable[[], Evaluator], size: int = 1) -> None:
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self._factory = factory
        self._jobs: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._ready = 0
        self._failed = 0
        self._lock = threading.Lock()
        self.startup_error: str | None = None
        self._threads = [
            threading.Thread(target=self._run, name=f"evaluator-{i}", daemon=True)
            for i in range(size)
        ]
        for t in self._threads:
            t.start()

    @property
    def size(self) -> int:
        return len(self._threads)

    @property
    def ready(self) -> bool:
        return self._ready == len(self._threads)

    def _run(self) -> None:
        try:
            evaluator = self._factory()
        except BaseException as e:  # PackError/EngineError, or a Rust panic (BaseException)
            with self._lock:
                self.startup_error = f"{type(e).__name__}: {e}"
                self._failed += 1
                if self._failed == len(self._threads):
                    self._fail_jobs()
            return
        with self._lock:
            self._ready += 1
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(evaluator))
            except BaseException as e:  # a Rust panic is a BaseException; hand it to the caller
                future.set_exception(
                    e if isinstance(e, Exception) else RuntimeError(f"engine panic: {e}")
                )

    def _fail_jobs(self) -> None:
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[1].set_exception(
                    RuntimeError(f"evaluator failed to start: {self.startup_error}")
                )

    def submit(self, job: Job) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:  # no job may be queued after every worker has failed and drained the queue
            if self._failed == len(self._threads):
                future.set_exception(
                    RuntimeError(f"evaluator failed to start: {self.startup_error}")
                )
                return future
            self._jobs.put((job, future))
        return future

    async def run(self, job: Job, timeout: float | None = None) -> Any:
        """Run ``job(evaluator)`` on a worker; raises TimeoutError after ``timeout`` seconds."""
        future = self.submit(job)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
