"""One evaluation run from paths to Report: what the CLI, the server and benchmarks share."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from compliance.engine import make_engine
from compliance.errors import InputError
from compliance.evaluation.evaluator import Evaluator, Waive
from compliance.evaluation.executor import map_in_processes
from compliance.inputs import LoadOptions, LoadResult, load_paths, load_stream
from compliance.inputs.loading import Mapper, Stamp
from compliance.inputs.registry import FileCache, nothing_to_evaluate
from compliance.model import LoadError, Report
from compliance.policy.packs import load_library, load_packs


@dataclass
class RunOptions:
    packs: list[str] | None = None
    engine: str = "embedded"
    engine_options: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    now: datetime | None = None
    load: LoadOptions = field(default_factory=LoadOptions)
    policy_root: Path | None = None
    exclusions: dict[str, str] = field(default_factory=dict)
    """``pack:control`` -> reason: controls scoped out in compliance.yaml (``not_applicable``)."""


def build_evaluator(options: RunOptions) -> Evaluator:
    """Load the library and packs, compile them into the engine. Raises PackError/EngineError."""
    library = load_library(options.policy_root)
    packs = load_packs(options.packs, library, options.policy_root)
    engine = make_engine(options.engine, **options.engine_options)
    return Evaluator(engine, library, packs)


def load_inputs(
    paths: Sequence[str],
    options: LoadOptions,
    stdin_text: str | InputError | None = None,
    *,
    workers: int = 1,
    cache: FileCache | None = None,
    keep_texts: bool = True,
    stamp: Stamp | None = None,
) -> LoadResult:
    """Every input of ``paths`` (``-``: ``stdin_text``, or the error reading it); see
    ``load_paths``. ``workers > 1``: files are parsed in that many processes."""
    files = [p for p in paths if p != "-"]
    map_files: Mapper | None = (
        functools.partial(map_in_processes, workers=workers) if workers > 1 else None
    )
    result = load_paths(
        files, options, map_files=map_files, cache=cache, keep_texts=keep_texts, stamp=stamp
    )
    if "-" in paths and isinstance(stdin_text, InputError):
        result.errors.append(LoadError(file="-", line=stdin_text.line, message=stdin_text.message))
    elif "-" in paths:
        stream = load_stream(stdin_text if isinstance(stdin_text, str) else "", "-", options)
        result.resources.extend(stream.resources)
        result.errors.extend(stream.errors)
        result.inputs.extend(stream.inputs)
        result.skipped.extend(stream.skipped)
        result.texts.update(stream.texts)
    if "-" in paths:
        result.seen["-"] = 1
    nothing_to_evaluate(result, paths)
    return result


def evaluate_loaded(
    evaluator: Evaluator,
    loaded: LoadResult,
    options: RunOptions,
    waive: Waive | None = None,
    *,
    workers: int = 1,
) -> Report:
    return evaluator.evaluate(
        loaded.resources,
        now=options.now,
        parameters=options.parameters,
        load_errors=loaded.errors,
        inputs=loaded.inputs,
        skipped=loaded.skipped,
        waive=waive,
        exclusions=options.exclusions,
        notices=loaded.notices,
        workers=workers,
    )
