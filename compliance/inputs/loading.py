"""Loading input files: ``load_paths`` finds them (``discovery``), reads each (``reading``:
size limit, no FIFOs, UTF-8), answers from the result cache what did not change, parses the
rest with their loaders (``registry``), in worker processes when there is enough to share,
and merges everything in input order."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from compliance.collector import gc_paused
from compliance.errors import InputError
from compliance.inputs import registry
from compliance.inputs.base import FileContext, LoadedFiles, LoadOptions, LoadResult
from compliance.inputs.discovery import Job, discover
from compliance.inputs.reading import decode, read_regular
from compliance.inputs.records import FileCache, Recorded
from compliance.inputs.spool import Spool, Spooled, available
from compliance.model import LoadError, Resource
from compliance.model.notes import Skipped
from compliance.model.report import InputRef
from compliance.model.resource import Assessed, PackedRow

Mapper = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], Iterable[Any]]
"""``mapper(fn, args)`` yields ``fn(*a) for a in args`` in order, from other processes: how
``load_paths`` parses files in parallel (the caller's process pool, e.g.
compliance.evaluation.executor's)."""

Stamp = Callable[[Resource], Assessed]
"""What a worker process computes of each resource it loads, kept with it
(``compliance.assess.Assessor.stamp``)."""


def load_paths(
    paths: list[str],
    options: LoadOptions | None = None,
    *,
    map_files: Mapper | None = None,
    cache: FileCache | None = None,
    keep_texts: bool = True,
    stamp: Stamp | None = None,
) -> LoadedFiles:
    """Load every file under ``paths``. Never raises for bad input: errors are collected.

    ``map_files`` parses files in other processes (when there is enough to share);
    ``cache`` reuses the result of a file whose bytes did not change. Either way the result
    is the same, in the same order. ``keep_texts``: keep every input's text (``texts``, what
    an evidence bundle holds); else only JSON inputs' (secret values are also collected
    from their raw structure). ``stamp``: what a worker process computes of each resource
    it loads (so that the main process need not read its body for it)."""
    options = options or LoadOptions()
    found = discover(paths, options, registry.kind_by_name, registry.kind_of_named)
    with gc_paused():
        merged = _merge(_execute(found.steps, options, map_files, cache, keep_texts, stamp))
    merged.notices.extend(found.notices)
    merged.seen.update(found.seen)
    return merged


def load_stream(text: str, name: str = "-", options: LoadOptions | None = None) -> LoadResult:
    """A YAML stream (``helm template ... | compliance evaluate -``)."""
    result = LoadResult()
    options = options or LoadOptions()
    root = options.root.resolve() if options.root is not None else Path.cwd().resolve()
    ctx = FileContext(Path.cwd() / name, name, options, root)
    registry.parse(text, ctx, registry.YAML.kind, result, explicit=True)
    return result


def _errors(error: LoadError) -> LoadResult:
    return LoadResult(errors=[error])


def _execute(
    steps: list[Job | LoadResult],
    options: LoadOptions,
    map_files: Mapper | None,
    cache: FileCache | None,
    keep_texts: bool = True,
    stamp: Stamp | None = None,
) -> list[LoadResult | Recorded]:
    """Parse every job's file the cache does not hold (through ``map_files`` when there
    is enough to share), keeping the order of ``steps``. Without a cache each file is read
    where it is parsed; with one, here (its bytes are compared, then recorded)."""
    done: list[LoadResult | Recorded | None] = []
    pending: list[tuple[int, FileContext, str, bool]] = []
    read: dict[int, tuple[str, bytes, os.stat_result | None]] = {}
    """Per pending file read here (with a cache): its text, bytes and stat."""
    size = 0
    for step in steps:
        if isinstance(step, LoadResult):
            done.append(step)
            continue
        if cache is None:
            with contextlib.suppress(OSError):  # an unreadable file: its reader says why
                size += os.stat(step.path).st_size
            ctx = FileContext(Path(step.path), step.rel, options, step.root)
            pending.append((len(done), ctx, step.kind, step.explicit))
            done.append(None)
            continue
        st: os.stat_result | None = None
        with contextlib.suppress(OSError):
            st = os.stat(step.path)  # before reading: a later write changes it
        unchanged = (
            cache.get_unchanged(step.rel, _cache_kind(step.kind, step.root), step.explicit, st)
            if st
            else None
        )
        if unchanged is not None:  # same stat as when it was last read: not read again
            done.append(unchanged)
            continue
        try:
            data = read_regular(Path(step.path), step.rel, options.max_file_bytes)
            text = decode(data, step.rel)
        except InputError as e:
            done.append(_errors(LoadError(file=step.rel, line=e.line, message=e.message)))
            continue
        hit = cache.get_file(step.rel, _cache_kind(step.kind, step.root), step.explicit, data, st)
        if hit is not None:  # the same bytes as recorded (touched, racy, or --cache-verify)
            kept = text if _keeps_text(step.rel, keep_texts) else None
            done.append(Recorded(hit.record, hit.rel, hit.sha256, kept))
            continue
        read[len(done)] = (text, data, st)
        size += len(data)
        ctx = FileContext(Path(step.path), step.rel, options, step.root)
        pending.append((len(done), ctx, step.kind, step.explicit))
        done.append(None)
    encode = cache is None
    args = [
        (read[index][0] if index in read else None, ctx, kind, explicit, keep_texts, stamp, encode)
        for index, ctx, kind, explicit in pending
    ]
    if map_files is not None and len(args) > 1 and size >= PARALLEL_MIN_BYTES:
        # the files of a kind together, so that a kind's one-time cost in a process
        # (python-hcl2's import and grammar, read or built in the worker that first parses
        # Terraform while the others parse on) is paid by as few workers as can be
        order = sorted(range(len(args)), key=lambda i: args[i][2])
        spool = _spool(size) if encode else None
        token = spool.token if spool is not None else None
        global _SPOOL
        _SPOOL = spool  # what the workers map_files forks inherit
        try:
            # each result unpacked as it comes, while the workers parse on
            parsed = map_files(_load_packed, [(*args[i], token) for i in order])
            unpacked: dict[int, tuple[LoadedFiles, str | None]] = {
                i: (_unpack(packed, spool), kept)
                for i, (packed, kept) in zip(order, parsed, strict=True)
            }
        finally:
            _SPOOL = None
        loads = [unpacked[i] for i in range(len(args))]
    else:
        loads = [_load(*a[:5]) for a in args]
    for (index, ctx, kind, explicit), (result, kept) in zip(pending, loads, strict=True):
        if cache is not None:
            _, data, st = read[index]
            cache.put_file(ctx.rel, _cache_kind(kind, ctx.root), explicit, data, result, st)
        if kept is not None:
            result.texts[ctx.rel] = kept
        done[index] = result
    return [d for d in done if d is not None]


def _cache_kind(kind: str, root: Path | None) -> str:
    """The kind a file's cache entry is kept under: with the scanned root for the kinds
    that may hold a SecurityConfig, whose certificate is read only inside that root."""
    return f"{kind}@{root}" if root is not None and kind in ("securityconfig", "yaml") else kind


def _keeps_text(rel: str, keep_texts: bool) -> bool:
    """Whether an input's text is kept: always a JSON input's (``input_secrets`` reads its
    raw structure), every other's for evidence bundles only."""
    return keep_texts or rel.lower().endswith(".json")


def _load(
    text: str | None, ctx: FileContext, kind: str, explicit: bool, keep_texts: bool
) -> tuple[LoadedFiles, str | None]:
    """One file's load (read first unless ``text`` is given) and the text to keep: that of a
    file with inputs, as ``_keeps_text`` says."""
    if text is None:
        try:
            text = decode(read_regular(ctx.path, ctx.rel, ctx.options.max_file_bytes), ctx.rel)
        except InputError as e:
            return LoadedFiles(
                errors=[LoadError(file=ctx.rel, line=e.line, message=e.message)]
            ), None
    result = registry.load_text(text, ctx, kind, explicit)
    return result, text if result.inputs and _keeps_text(ctx.rel, keep_texts) else None


_Packed = tuple[
    list[PackedRow],
    list[LoadError],
    list[InputRef],
    list[Skipped],
    dict[str, set[str]],
]


def _load_packed(
    text: str | None,
    ctx: FileContext,
    kind: str,
    explicit: bool,
    keep_texts: bool,
    stamp: Stamp | None = None,
    encode: bool = True,
    spool: str | None = None,
) -> tuple[_Packed, str | None]:
    """``_load`` in a worker process (which reads the file itself: no text is sent to it),
    its resources as plain tuples (pickling and unpickling a pydantic model per resource
    costs the main process about twice as much). With ``encode`` their bodies and line
    maps are JSON bytes: the main process decodes only those it reads, and the engine is
    sent the bytes (a run with a cache stores every one decoded: it is sent them so).
    ``spool``: the token of the ``Spool`` the bytes are written to, if this process shares it."""
    result, kept = _load(text, ctx, kind, explicit, keep_texts)
    resources = [r.to_packed(stamp(r) if stamp else None, encode) for r in result.resources]
    if spool is not None and _SPOOL is not None and _SPOOL.token == spool:
        resources = _spooled(resources, _SPOOL)
    return (resources, result.errors, result.inputs, result.skipped, result.secrets), kept


_SPOOL: Spool | None = None
"""The spool of the parallel load in progress (set in the main process while its workers
are forked, which inherit it)."""

SPOOL_SLACK = 1024 * 1024


def _spool(size: int) -> Spool | None:
    """A spool for the JSON of ``size`` bytes of inputs: twice their size (JSON escapes
    some characters), None where workers cannot share one."""
    if not available():
        return None
    try:
        return Spool(2 * size + SPOOL_SLACK)
    except (OSError, ValueError, ImportError):  # no shared mapping or lock: the pipe it is
        return None


def _spooled(rows: list[PackedRow], spool: Spool) -> list[Any]:
    """``rows`` with their bytes written to ``spool`` and ``Spooled`` in their place; as they
    are when the spool is full."""
    parts = [v for row in rows for v in (row[8], row[10]) if isinstance(v, bytes)]
    placed = spool.put(parts) if parts else None
    if placed is None:
        return rows
    where = iter(placed)
    out: list[Any] = []
    for row in rows:
        body = next(where) if isinstance(row[8], bytes) else row[8]
        lines = next(where) if isinstance(row[10], bytes) else row[10]
        out.append((*row[:8], body, row[9], lines, row[11]))
    return out


def _unpack(packed: _Packed, spool: Spool | None = None) -> LoadedFiles:
    """The worker's result as it was there (every field set; validated in the worker);
    bytes written to ``spool`` are read there."""
    resources, errors, inputs, skipped, secrets = packed
    if spool is not None:
        resources = [
            (
                *row[:8],
                spool.get(row[8]) if isinstance(row[8], Spooled) else row[8],
                row[9],
                spool.get(row[10]) if isinstance(row[10], Spooled) else row[10],
                row[11],
            )
            for row in resources
        ]
    return LoadedFiles(
        resources=[Resource.from_packed(row) for row in resources],
        errors=errors,
        inputs=inputs,
        skipped=skipped,
        secrets=secrets,
    )


PARALLEL_MIN_BYTES = 2 * 1024 * 1024
"""Below this much text, starting processes costs more than it saves."""


def _merge(parts: Sequence[LoadResult | Recorded]) -> LoadedFiles:
    out = LoadedFiles()
    secrets = out.secrets
    for part in parts:
        if isinstance(part, Recorded):
            part.merge_into(out)
            continue
        if part.resources:
            out.resources.extend(part.resources)
            if not isinstance(part, LoadedFiles):
                part = registry.with_secrets(part)  # e.g. from another FileCache: collect them now
        out.errors.extend(part.errors)
        out.inputs.extend(part.inputs)
        out.skipped.extend(part.skipped)
        out.notices.extend(part.notices)
        out.texts.update(part.texts)
        if isinstance(part, LoadedFiles):
            for rel, values in part.secrets.items():
                secrets.setdefault(rel, set()).update(values)
    return out
