"""What the report's population costs (``resources``, controls' ``assessed``) on a corpus of
benchmarks/corpora: CPU time of building it (``members``: which checks assess each
resource; ``observed``: the per-check lists, the ``resources`` entries, the unassessed
counts), the memory it holds, and its share of the JSON report's bytes and rendering time.

CPU time (``time.process_time``), not wall time: the machine is shared. Run after
``make bench`` has built the corpus: ``python benchmarks/population.py --copies 112``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from compliance.assess import members, observed, with_unique_ids
from compliance.evaluation.executor import available_cpus, map_in_processes
from compliance.inputs import LoadOptions, load_paths
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def cpu(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median CPU seconds of ``runs`` calls of ``fn``, and its last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=112)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    corpus = HERE / "corpora" / f"c{args.copies}"
    if not corpus.is_dir():
        raise SystemExit(f"{corpus} is missing: run make bench (or benchmarks/corpus.py) first")
    loaded = load_paths(
        [str(corpus)],
        LoadOptions(),
        map_files=functools.partial(map_in_processes, workers=available_cpus()),
        keep_texts=False,
    )
    options = RunOptions(now=NOW)
    evaluator = build_evaluator(options)
    import compliance.evaluation.evaluator as evaluate_module

    with_s: list[float] = []
    without_s: list[float] = []
    report = None
    for _ in range(3):  # interleaved: the machine's load changes over a run
        start = time.process_time()
        report = evaluate_loaded(evaluator, loaded, options)
        with_s.append(time.process_time() - start)
        evaluate_module.members = lambda resources, assessor: []  # type: ignore[assignment]
        start = time.process_time()
        evaluate_loaded(evaluator, loaded, options)
        without_s.append(time.process_time() - start)
        evaluate_module.members = members
    assert report is not None
    evaluate_s = statistics.median(with_s)
    resources, _ = with_unique_ids(loaded.resources)
    members_s, population = cpu(lambda: members(resources, evaluator.assessor), args.runs)
    rows = [(f.check_id, f.resource.id) for f in report.findings]
    observed_s, seen = cpu(
        lambda: observed(population, rows, evaluator.reports._unassessed), args.runs
    )
    tracemalloc.start()
    held = (
        members(resources, evaluator.assessor),
        observed(population, rows, evaluator.reports._unassessed),
    )
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held

    data = report.model_dump(mode="json")
    without = dict(data)
    without.pop("resources")
    without["controls"] = [
        {k: v for k, v in c.items() if k not in ("assessed", "unassessed_checks")}
        for c in data["controls"]
    ]
    indented = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    full_s, full = cpu(lambda: orjson.dumps(data, option=indented), args.runs)
    bare_s, bare = cpu(lambda: orjson.dumps(without, option=indented), args.runs)
    resources_bytes = len(orjson.dumps(data["resources"], option=orjson.OPT_INDENT_2))
    assessed_bytes = len(full) - len(bare) - resources_bytes
    mib = 1024 * 1024
    print(f"corpus: {corpus.name}, {len(resources)} resources, {len(report.findings)} findings")
    print(
        f"cold evaluate after loading (in process, CPU, median of 3): {evaluate_s:.2f} s with "
        f"the population, {statistics.median(without_s):.2f} s without"
    )
    print(
        f"population: members {members_s * 1000:.0f} ms + observed {observed_s * 1000:.0f} ms CPU"
    )
    print(f"population held in memory: {memory / mib:.1f} MiB")
    print(
        f"JSON report: {len(full) / mib:.1f} MiB with, {len(bare) / mib:.1f} MiB without; "
        f"resources {resources_bytes / mib:.1f} MiB, controls' assessed {assessed_bytes / mib:.1f} MiB"
    )
    print(f"JSON rendering (CPU): {full_s * 1000:.0f} ms with, {bare_s * 1000:.0f} ms without")
    unassessed = sum(u["count"] for u in seen.unassessed.values())
    print(f"unassessed resources: {unassessed} of {len(population)}")


if __name__ == "__main__":
    main()
