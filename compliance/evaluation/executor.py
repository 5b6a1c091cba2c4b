"""Work spread over processes: the machine's cores, since the engine and PyYAML's
constructor hold the GIL.

Loading parses files in worker processes (``map_in_processes``). Evaluation of a large run
is split as the checks' declared scopes allow (``Scoped``, proven by tests/packs/test_scope.py):
whole namespaces per partition (each with its ``Namespace`` object), one partition of
everything outside namespaces, and one query of the global checks over the kinds they read.
Without scopes to rely on (a pack with its own Rego), every namespace partition also holds
every resource of no namespace (``namespace_partitions``), which is exact as long as no check
relates resources of two namespaces. Violations are merged, deduplicated and put in the
engine's own set order, so the result is the list one query returns
(tests/unit/test_parallel.py proves both splits on the benchmark corpus slice, examples/bpi
and every tests/packs case, for every parameter set).
"""

from __future__ import annotations

import bisect
import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from compliance.timestamps import rfc3339

if TYPE_CHECKING:
    from compliance.engine.base import Engine
    from compliance.model import Resource
    from compliance.policy.analysis import RegoAnalysis

T = TypeVar("T")

PARTITION_MIN_RESOURCES = 1000
"""Below this many resources one query is cheaper than starting processes."""
PARTITIONS_PER_WORKER = 2
"""More, smaller partitions: checks that compare the workloads of a namespace with each
other cost the square of a partition's size."""


def engine_input(
    resources: Sequence[Resource],
    params: dict[str, Any],
    now: datetime,
    only_kinds: Collection[str] | None = None,
    *,
    fragments: bool = False,
) -> dict[str, Any]:
    """The document checks read: resources grouped by kind, parameters and the run's time.
    With ``only_kinds``, resources of other kinds are left out (no check reads them).
    ``shaped`` lists every resource holding a known credential shape, whatever its kind
    (id, kind, name, file and ``facts.secret_shapes`` only): SEC-03 reads it, so no kind
    is sent whole for it. ``fragments``: bodies still held as JSON stay those bytes
    (``Resource.engine_input``), for the in-process engine (``takes_fragments``)."""
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shaped: list[dict[str, Any]] = []
    for r in resources:
        if only_kinds is None or r.kind in only_kinds:
            kinds[r.kind].append(r.engine_input(fragments))
        if r.facts.get("secret_shapes"):
            shaped.append(r.shapes_input())
    return {
        "kinds": dict(kinds),
        "shaped": shaped,
        "params": params,
        "now": rfc3339(now),
        "now_ns": int(now.timestamp()) * 1_000_000_000,
    }


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota (a container's
    ``resources.limits.cpu``), where ``os.cpu_count()`` would report every core of the node."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)


def _cgroup_quota(root: str = "/sys/fs/cgroup") -> float | None:
    """The CPU quota in CPUs (cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``), None if unlimited."""
    try:
        quota, _, period = Path(root, "cpu.max").read_text().strip().partition(" ")
        return None if quota == "max" else int(quota) / int(period or 100000)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int(Path(root, "cpu", "cpu.cfs_quota_us").read_text())
        period_us = int(Path(root, "cpu", "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota_us <= 0 or period_us <= 0 else quota_us / period_us


def _context() -> Any:
    import multiprocessing  # with concurrent.futures: only when processes are started

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def map_in_processes(
    fn: Callable[..., T], args: Sequence[tuple[Any, ...]], workers: int
) -> Iterator[T]:
    """``fn(*a) for a in args`` over ``workers`` forked processes, results in order, each
    as soon as it and those before it are done: the caller works on the first results
    while the processes parse on. The processes start at the first ``next``.

    Fork (where available) so children inherit the imported modules instead of importing
    them again. Chunks are small enough that one large file does not leave a core idle,
    nor the last chunk one process idle for long while the other finishes (32 a process:
    about a tenth of a second of parsing each at 10k files)."""
    workers = max(1, min(workers, len(args)))
    if workers == 1:
        yield from (fn(*a) for a in args)
        return
    chunksize = max(1, len(args) // (workers * 32))
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        yield from pool.map(_star, [(fn, a) for a in args], chunksize=chunksize)


def _star(item: tuple[Callable[..., T], tuple[Any, ...]]) -> T:
    fn, a = item
    return fn(*a)


# ---------------------------------------------------------------- evaluation by namespace


def partition_key(resource: Resource) -> str | None:
    """The namespace a resource belongs to for partitioning, None for "every partition":
    its namespace group (``compliance.evaluation.scope.group_of``), except that a ``Namespace``
    object, like every resource outside namespaces, goes to every partition."""
    from compliance.evaluation.scope import group_of

    group = group_of(resource)
    if resource.kind == "Namespace" or not group.startswith("ns:"):
        return None
    return group.removeprefix("ns:")


def namespace_partitions(resources: Sequence[Resource], count: int) -> list[list[Resource]]:
    """Up to ``count`` partitions of whole namespaces (balanced by size, deterministic),
    each also holding every resource of no namespace; resources keep their input order."""
    keys = [partition_key(r) for r in resources]
    home = _homes(keys, count)
    if len(home) < 2 or count < 2:
        return [list(resources)]
    out: list[list[Resource]] = [[] for _ in range(min(count, len(home)))]
    for r, key in zip(resources, keys, strict=True):
        if key is None:
            for part in out:
                part.append(r)
        else:
            out[home[key]].append(r)
    return out


def rego_order(value: Any) -> Any:
    """A sort key that orders JSON values as the engine orders set members (regorus
    ``Value``: null < bool < number < string < array < object; objects by sorted items)."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, list):
        return (4, tuple(rego_order(v) for v in value))
    if isinstance(value, dict):
        return (6, tuple((rego_order(k), rego_order(v)) for k, v in sorted(value.items())))
    return (7, repr(value))


def _violation_order(value: Any) -> Any:
    """``rego_order`` for a flat object of strings and integers (nearly every violation)
    without the recursion; anything else through ``rego_order``."""
    if isinstance(value, dict):
        items: list[Any] = []
        for k, v in sorted(value.items()):
            if v.__class__ is str:
                items.append(((3, k), (3, v)))
            elif v.__class__ is int:
                items.append(((3, k), (2, v)))
            else:
                return rego_order(value)
        return (6, tuple(items))
    return rego_order(value)


def merge_violations(parts: Sequence[Any], *, disjoint: bool = False) -> list[Any] | None:
    """The union of partitions' violation lists, without duplicates, in set order.
    ``disjoint``: no violation is in two parts (each an engine answer, a set), so none is
    looked for."""
    if disjoint:
        union = [v for part in parts for v in part or []]
    else:
        seen: dict[bytes, Any] = {}
        for part in parts:
            for v in part or []:
                seen.setdefault(orjson.dumps(v, option=orjson.OPT_SORT_KEYS), v)
        union = list(seen.values())
    if not union and all(p is None for p in parts):
        return None
    return sorted(union, key=_violation_order)


def merge_disjoint(ordered: list[Any], more: Any) -> list[Any]:
    """``merge_violations([ordered, more])`` for two lists already in set order (an engine
    answer or a merge) that hold no violation in common (violations of other check
    families): each of ``more`` inserted where it sorts, without ordering ``ordered`` again."""
    out = list(ordered)
    for v in more or []:
        bisect.insort_right(out, v, key=_violation_order)
    return out


_SHARED: dict[str, Any] = {}
"""What forked evaluation workers inherit: the engine (with its modules) and the tasks."""


Task = tuple[str, Sequence["Resource"], "Collection[str] | None", dict[str, Any]]
"""One engine query: the query, the resources of its input, the kinds sent, the parameters."""


@dataclass(frozen=True)
class Split:
    """One query answered by several engine queries: its tasks, and how their results
    (in task order) make the one query's answer."""

    tasks: list[Task]
    combine: Callable[[list[Any]], Any]


def _run_task(index: int) -> tuple[str, Any, str | None, int | None]:
    """("ok", violations, ...) or ("error", message, file, line): exceptions with keyword
    arguments do not cross a process boundary intact."""
    from compliance.errors import EngineError

    engine, tasks, now = (_SHARED[k] for k in ("engine", "tasks", "now"))
    query, resources, kinds, params = tasks[index]
    try:
        return (
            "ok",
            engine.evaluate(
                query,
                engine_input(resources, params, now, kinds, fragments=takes_fragments(engine)),
            ),
            None,
            None,
        )
    except EngineError as e:
        return ("error", e.message, e.file, e.line)


def run_queries(
    engine: Engine,
    tasks: Sequence[Task],
    now: datetime,
    workers: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[Any]:
    """Each task's engine result, in order; in ``workers`` forked processes when there is
    more than one task (a fork inherits the engine's compiled modules and the inputs).
    ``meanwhile`` is called in this process while they run (it must start no thread and
    no process)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from compliance.errors import EngineError

    if len(tasks) == 1 or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        fragments = takes_fragments(engine)
        return [
            engine.evaluate(q, engine_input(rs, p, now, k, fragments=fragments))
            for q, rs, k, p in tasks
        ]
    _SHARED.update(engine=engine, tasks=tasks, now=now)
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)), mp_context=_context()
        ) as pool:
            pending = pool.map(_run_task, range(len(tasks)))
            if meanwhile is not None:
                meanwhile()
            results = list(pending)
    finally:
        _SHARED.clear()
    for status, message, file, line in results:
        if status == "error":
            raise EngineError(message, file=file, line=line)
    return [value for _, value, _, _ in results]


def run_splits(
    engine: Engine,
    splits: Sequence[Split],
    now: datetime,
    workers: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[Any]:
    """Each split's answer, every task of every split run in one set of processes (no
    process started twice, no core idle between two queries); ``meanwhile`` as in
    ``run_queries``."""
    tasks = [t for split in splits for t in split.tasks]
    results = run_queries(engine, tasks, now, workers, meanwhile)
    out = []
    at = 0
    for split in splits:
        out.append(split.combine(results[at : at + len(split.tasks)]))
        at += len(split.tasks)
    return out


def partitioned_query(
    engine: Engine,
    query: str,
    resources: Sequence[Resource],
    params: dict[str, Any],
    now: datetime,
    kinds: Collection[str] | None,
    workers: int,
    *,
    min_resources: int | None = None,
    partitions: int | None = None,
    scoped: Scoped | None = None,
) -> Any:
    """``query`` over ``resources`` as one engine call would answer it, split by namespace
    over ``workers`` forked processes when the run is large enough to gain from it
    (``split_query``)."""
    if splits(engine, len(resources), workers, min_resources):
        split = split_query(
            query, resources, params, kinds, workers, partitions=partitions, scoped=scoped
        )
        if split is not None:
            return run_splits(engine, [split], now, workers)[0]
    return engine.evaluate(
        query, engine_input(resources, params, now, kinds, fragments=takes_fragments(engine))
    )


def split_query(
    query: str,
    resources: Sequence[Resource],
    params: dict[str, Any],
    kinds: Collection[str] | None,
    workers: int,
    *,
    partitions: int | None = None,
    scoped: Scoped | None = None,
    layout: Layout | None = None,
) -> Split | None:
    """``query`` over ``resources`` as tasks by namespace, None where it does not split.

    Only the in-process engine is split (a fork inherits its compiled modules). With
    ``scoped`` the split follows the checks' scopes (``_scoped_split``, over ``layout``
    when given: ``scoped_layout`` of the same resources); without, every partition also
    holds every resource of no namespace."""
    count = partition_count(workers, partitions)
    if scoped is not None:
        if layout is None:
            layout = scoped_layout(resources, count, scoped)
        return _scoped_split(query, layout, params, kinds, scoped)
    parts = namespace_partitions(resources, count)
    if len(parts) < 2:
        return None
    return Split([(query, part, kinds, params) for part in parts], merge_violations)


def partition_count(workers: int, partitions: int | None = None) -> int:
    """How many namespace partitions a split makes (``partitions`` when given)."""
    return partitions or workers * PARTITIONS_PER_WORKER


def takes_fragments(engine: Engine) -> bool:
    """Whether ``engine`` encodes its input with orjson, which splices ``orjson.Fragment``
    bytes in as they are (the in-process engine; OPA's client encodes with ``json``)."""
    return engine.name == "embedded"


def splits(engine: Engine, resources: int, workers: int, least: int | None = None) -> bool:
    """Whether a query over ``resources`` resources is split over ``workers`` processes:
    only the in-process engine, and only a run of ``least`` resources or more."""
    least = PARTITION_MIN_RESOURCES if least is None else least
    return workers > 1 and engine.name == "embedded" and resources >= least


@dataclass(frozen=True)
class Scoped:
    """What the checks' declared scopes allow (``custom.scope``, proven by
    tests/packs/test_scope.py): every check but ``global_checks`` judges a resource from
    its group alone, so the groups can be split with no resource in two partitions; the
    global checks are judged once over every resource of ``global_kinds``."""

    global_checks: frozenset[str]
    global_kinds: frozenset[str]


@dataclass(frozen=True)
class Layout:
    """How a scoped split spreads resources (``scoped_layout``), the same for every query
    of a part."""

    parts: list[list[Resource]]
    """The resources outside namespaces, then whole namespaces (each with its
    ``Namespace`` object) per partition; none empty."""
    every: list[Resource]
    """The resources of the kinds the global checks read."""


def scoped_layout(resources: Sequence[Resource], count: int, scoped: Scoped) -> Layout:
    """Namespaces over ``count`` partitions (balanced by size), one partition of
    everything outside namespaces, and every resource the global checks may read."""
    from compliance.evaluation.scope import group_of

    keys = [g if (g := group_of(r)).startswith("ns:") else None for r in resources]
    home = _homes(keys, count)
    parts: list[list[Resource]] = [[] for _ in range(max(home.values(), default=-1) + 1)]
    shared: list[Resource] = []
    for r, key in zip(resources, keys, strict=True):
        (shared if key is None else parts[home[key]]).append(r)
    every = [r for r in resources if r.kind in scoped.global_kinds]
    return Layout([part for part in [shared, *parts] if part], every)


def _scoped_split(
    query: str,
    layout: Layout,
    params: dict[str, Any],
    kinds: Collection[str] | None,
    scoped: Scoped,
) -> Split:
    """A query per partition of ``layout`` and one query of the global checks over the
    kinds they read: no resource is evaluated twice for the same checks."""
    global_kinds = set(scoped.global_kinds) if kinds is None else set(kinds) & scoped.global_kinds
    # the global query and the partition outside namespaces first: the namespace
    # partitions, of even sizes, then fill the processes up to an even end
    tasks: list[Task] = [(query, layout.every, global_kinds, params)]
    tasks += [(query, part, kinds, params) for part in layout.parts]
    glob = scoped.global_checks

    def local(found: Any) -> Any:
        if found is None:
            return None
        return [v for v in found if not (isinstance(v, dict) and v.get("check") in glob)]

    def global_only(found: Any) -> Any:
        if found is None:
            return None
        return [v for v in found if not isinstance(v, dict) or v.get("check") in glob]

    def combine(results: list[Any]) -> Any:
        # the partitions share no resource and the global query answers the global checks
        # only: no violation is in two answers
        return merge_violations(
            [global_only(results[0]), *(local(r) for r in results[1:])], disjoint=True
        )

    return Split(tasks, combine)


def _homes(keys: Sequence[str | None], count: int) -> dict[str, int]:
    """Each key's bin of ``count`` (at most one per key) by how many resources have it,
    largest first, deterministic; None (no key) has no bin."""
    sizes = Counter(k for k in keys if k is not None)
    bins: list[int] = [0] * max(1, min(count, len(sizes)))
    home: dict[str, int] = {}
    for key in sorted(sizes, key=lambda k: (-sizes[k], k)):
        target = min(range(len(bins)), key=lambda i: (bins[i], i))
        home[key] = target
        bins[target] += sizes[key]
    return home


def scoped_for(analysis: RegoAnalysis, present: Collection[str]) -> Scoped:
    """The split by scope of a run over the kinds ``present``: its global checks and the
    kinds they may read."""
    library = analysis.library
    checks = sorted(c for c, meta in library.checks.items() if meta.scope == "global")
    read = analysis.kinds_read(present)
    return Scoped(frozenset(checks), frozenset(analysis.kinds_of_checks(checks, read)))
