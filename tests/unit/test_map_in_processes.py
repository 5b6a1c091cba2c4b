"""``map_in_processes``: results in order, each handed over as soon as it is ready (the
loader unpacks the first files' resources while the workers parse the others)."""

from __future__ import annotations

import time
from pathlib import Path

from compliance.evaluation.executor import map_in_processes


def _task(index: int, last: int, flag: str) -> tuple[int, bool]:
    """The last task waits (up to 30 s) for the caller to have taken the first result."""
    if index != last:
        return index, True
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Path(flag).exists():
            return index, True
        time.sleep(0.01)
    return index, False


def test_the_first_result_comes_before_the_last_task_ends(tmp_path: Path) -> None:
    flag = tmp_path / "first-taken"
    args = [(i, 7, str(flag)) for i in range(8)]
    results = map_in_processes(_task, args, workers=2)
    first = next(results)
    flag.touch()
    rest = list(results)
    assert [first, *rest] == [(i, True) for i in range(8)]


def test_one_worker_maps_in_this_process() -> None:
    assert list(map_in_processes(divmod, [(7, 2), (9, 4)], workers=1)) == [(3, 1), (2, 1)]
