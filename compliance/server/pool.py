"""Evaluation worker processes: the engine runs outside the server process, one process per core.

The regorus engine holds the GIL while it evaluates and is thread-affine ("unsendable"), so
threads add no throughput; processes do. Each worker process builds its evaluators once (the
``factory``, a picklable zero-argument callable, e.g. ``evaluators.factory(options)``) and then
answers calls ``(method, args)`` on a pipe: ``getattr(evaluators, method)(*args)``.

In the server process one *lane* thread per worker takes jobs from a shared queue, sends each to
its worker and waits for the answer (``Connection.poll`` releases the GIL). A lane therefore
never has more than one job in flight and an idle worker always takes the next job. When a
worker dies mid-job (crash, OOM kill, Rust abort) or overruns ``job_timeout``, the job fails with
``WorkerError`` naming what happened, and the lane starts a fresh worker. Jobs queued after every
worker has failed to start fail at once with the start-up error.

The decision log, metrics, exclusions and the decision cache stay in the server process.
Workers may run at a lower priority (``nice``) so that this cheap, latency-bound work (HTTP,
cache hits, logging) is scheduled ahead of evaluations when the cores are busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

Factory = Callable[[], Any]

START_TIMEOUT = 120.0
"""Seconds a worker may take to import and compile the packs."""


class WorkerError(RuntimeError):
    """A worker could not answer: it failed to start, died mid-job or overran its time."""


@dataclass(frozen=True)
class Call:
    method: str
    args: tuple[Any, ...]


def _serve(conn: Connection, factory: Factory, nice: int = 0) -> None:
    """The worker process: build once, then answer calls until the pipe closes."""
    os.environ.pop("RUST_BACKTRACE", None)
    try:
        if nice:
            os.nice(nice)
        target = factory()
    except BaseException as e:  # PackError/EngineError, or a Rust panic (BaseException)
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            call: Call | None = conn.recv()
        except (EOFError, OSError):
            return
        if call is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", getattr(target, call.method)(*call.args))
        except BaseException as e:  # a Rust panic is a BaseException; report it, keep serving
            reply = ("error", f"{type(e).__name__}: {e}")
            if not isinstance(e, Exception):
                reply = ("error", f"engine panic: {e}")
        try:
            conn.send(reply)
        except Exception as e:  # the result could not be pickled
            conn.send(("error", f"result not transferable: {type(e).__name__}: {e}"))
            traceback.clear_frames(e.__traceback__)


class Worker:
    """One worker process and the server-side end of its pipe (used by one lane thread only)."""

    def __init__(self, factory: Factory, context: Any, nice: int = 0) -> None:
        self.conn, child = context.Pipe(duplex=True)
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, factory, nice), name="compliance-evaluator", daemon=True
        )
        self.process.start()
        child.close()
        if not self.conn.poll(START_TIMEOUT):
            self.kill()
            raise WorkerError(f"evaluation worker did not start within {START_TIMEOUT:g}s")
        try:
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            raise WorkerError(f"evaluation worker exited while starting ({self.exit()})") from None
        if status != "ready":
            self.kill()
            raise WorkerError(str(detail))
        self.pid: int = detail

    def exit(self) -> str:
        code = self.process.exitcode
        if code is None:
            return "still running"
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"

    def call(self, call: Call, timeout: float | None) -> Any:
        try:
            self.conn.send(call)
            ready = self.conn.poll(timeout)
        except (EOFError, OSError):
            ready = True  # the recv below reports the dead worker
        if not ready:
            self.kill()
            raise WorkerError(f"evaluation worker overran {timeout:g}s and was restarted")
        try:
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            raise WorkerError(f"evaluation worker {self.pid} died ({self.exit()})") from None
        if status == "ok":
            return detail
        raise WorkerError(str(detail))

    @property
    def alive(self) -> bool:
        return self.process.is_alive() and not self.conn.closed

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(5)
        self.kill()


Job = tuple[Call, float | None, Future[Any]]


class EvaluatorPool:
    """``size`` worker processes fed from one queue. ``run(method, *args)`` awaits an answer."""

    def __init__(
        self,
        factory: Factory,
        size: int = 1,
        *,
        job_timeout: float | None = None,
        start_method: str = "spawn",
        nice: int = 0,
    ) -> None:
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self._factory = factory
        self._context = multiprocessing.get_context(start_method)
        self.job_timeout = job_timeout
        self.nice = nice
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._ready = 0
        self._failed = 0
        self._closed = False
        self.startup_error: str | None = None
        self.restarts = 0
        self.workers: list[Worker | None] = [None] * size
        self._threads = [
            threading.Thread(target=self._lane, args=(i,), name=f"evaluator-lane-{i}", daemon=True)
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

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers if w is not None and w.alive]

    def _start(self, lane: int) -> Worker | None:
        try:
            worker = Worker(self._factory, self._context, self.nice)
        except Exception as e:
            with self._lock:
                self.startup_error = str(e)
                self._failed += 1
                if self._failed == len(self._threads):
                    self._fail_jobs()
            return None
        self.workers[lane] = worker
        return worker

    def _lane(self, lane: int) -> None:
        worker = self._start(lane)
        if worker is None:
            return
        with self._lock:
            self._ready += 1
        while True:
            item = self._jobs.get()
            if item is None:
                worker.stop()
                return
            call, timeout, future = item
            if not future.set_running_or_notify_cancel():
                continue
            result: Any = None
            error: BaseException | None = None
            try:
                result = worker.call(call, timeout)
            except BaseException as e:
                error = e
            alive = worker.alive
            if not alive:  # counted before the caller hears of the failure
                with self._lock:
                    self._ready -= 1
                    self.restarts += 1
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(
                    error if isinstance(error, Exception) else WorkerError(str(error))
                )
            if alive:
                continue
            worker.kill()
            self.workers[lane] = None
            if self._closed:
                return
            replacement = self._start(lane)
            if replacement is None:
                return
            worker = replacement
            with self._lock:
                self._ready += 1

    def _fail_jobs(self) -> None:
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[2].set_exception(
                    WorkerError(f"evaluator failed to start: {self.startup_error}")
                )

    def submit(self, method: str, *args: Any, timeout: float | None = None) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:  # no job may be queued after every worker has failed and drained the queue
            if self._failed == len(self._threads):
                future.set_exception(
                    WorkerError(f"evaluator failed to start: {self.startup_error}")
                )
                return future
            self._jobs.put((Call(method, args), timeout or self.job_timeout, future))
        return future

    async def run(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        """``evaluators.method(*args)`` in a worker; TimeoutError after ``timeout`` seconds
        (queueing included; a job already running is also stopped by the lane's own limit)."""
        future = self.submit(method, *args, timeout=timeout)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            future.cancel()
            raise

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while not self.ready and self._failed < len(self._threads):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return self.ready

    def close(self) -> None:
        self._closed = True
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join(10)
