"""One ``compliance evaluate`` run: load -> cold or incremental evaluation -> redact -> waivers
-> baseline -> evidence and ledger, as ``run(options) -> RunResult``.

Nothing here prints, parses arguments or exits: the caller renders the result. Lines meant for
standard error are handed to ``PipelineOptions.notify`` as they arise (so that they keep their
place before a later error) and are collected in ``RunResult.messages``.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compliance.baseline import apply_baseline, load_baseline
from compliance.collector import gc_paused
from compliance.errors import InputError
from compliance.evaluation.evaluator import Evaluator
from compliance.evaluation.executor import available_cpus
from compliance.evidence import record_evidence
from compliance.incremental.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from compliance.incremental.cache import Cache, CacheMiss
from compliance.incremental.run import evaluate_cached
from compliance.inputs import LoadResult, hcl_grammar
from compliance.inputs.reading import read_stdin
from compliance.inputs.registry import NOTHING_TO_EVALUATE
from compliance.ledger import preload, record_evaluation
from compliance.model import LoadError
from compliance.model.pack import CheckMeta
from compliance.model.report import Report
from compliance.policy.packs import available_packs, check_parameters
from compliance.project import Project
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded, load_inputs
from compliance.waivers import WaiverSet, load_waivers


def read_standard_input(limit: int) -> str | InputError:
    """Standard input under the file size limit, or why it was not read."""
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is None:  # a text stream without bytes underneath (embedding callers)
            return read_stdin(io.BytesIO(sys.stdin.read(limit + 1).encode("utf-8")), limit)
        return read_stdin(stream, limit)
    except InputError as e:
        return e


def _no_progress(message: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


def _discard(line: str) -> None:
    return None


@dataclass
class PipelineOptions:
    """What one run needs, already parsed: ``run`` holds the packs, parameters, time, load
    options and engine; ``project`` the compliance.yaml (or an empty one)."""

    paths: Sequence[str]
    run: RunOptions
    project: Project = field(default_factory=Project)
    cli_parameters: dict[str, Any] = field(default_factory=dict)
    """``--param`` values, checked against the loaded packs (already merged into ``run``)."""
    fail_on: str = "high"
    fail_statuses: tuple[str, ...] = ()
    waivers_file: Path | None = None
    """Waivers from this file; without it, those of ``project``."""
    baseline_file: Path | None = None
    cache: bool = True
    cache_verify: bool = False
    cache_dir: Path = DEFAULT_CACHE_DIR
    bundle: Path | None = None
    sign_key: Path | None = None
    store_dir: Path | None = None
    ledger: str | None = None
    scope: str = "default"
    evaluator: Evaluator | None = None
    """A compiled evaluator of ``run``'s packs to use (a server's, kept between runs);
    without it, one is built from ``run``."""
    workers: int | None = None
    """Processes loading and a large engine query may use; None: the available CPUs."""
    gc_freeze: bool = True
    """Freeze what the run built out of the collector's sight: for a process that ends
    after the run (the CLI), not for one that goes on (a server worker)."""
    stdin: Callable[[int], str | InputError] = read_standard_input
    """Reads ``-`` (called only when ``paths`` holds it) under the given byte limit."""
    progress: Callable[[str], AbstractContextManager[None]] = _no_progress
    notify: Callable[[str], None] = _discard
    """Receives each line for standard error when it arises."""


@dataclass
class RunResult:
    """A finished run: its report (redacted, waivers and baseline applied), exit code and
    what it said and wrote."""

    report: Report
    exit_code: int
    messages: list[str]
    """Lines for standard error (notices, warnings, what was written), in order."""
    written: list[Path] = field(default_factory=list)
    """Files and folders the run wrote besides the report: the bundle, the evidence store."""
    bundle_sha256: str | None = None
    keyid: str | None = None
    """The signer's key id when a bundle was written."""
    ledger_line: str | None = None
    checks: Mapping[str, CheckMeta] = field(default_factory=dict)
    """The check library's metadata (what SARIF's rules say of checks without findings)."""
    loaded: LoadResult | None = field(default=None, repr=False)
    """What the run loaded. Held here so that its resources are freed with the result, not
    when ``run`` returns: a process that exits after writing the report (the CLI) never
    pays for freeing millions of objects before its output."""

    @property
    def errors(self) -> list[LoadError]:
        """The report's errors (input, pack, engine)."""
        return self.report.errors

    def error_lines(self) -> list[str]:
        """The errors as ``error: file:line: message`` lines and a count (the inputs holding
        nothing to evaluate were said before evaluating); empty without errors."""
        if not self.errors:
            return []
        lines = []
        for e in self.errors:
            if e.message.startswith(NOTHING_TO_EVALUATE):
                continue
            where = e.file
            if where and e.line:
                where = f"{where}:{e.line}"
            lines.append(f"error: {where}: {e.message}" if where else f"error: {e.message}")
        lines.append(f"{len(self.errors)} error(s); see the report's errors")
        return lines


def waiver_problem_lines(summary: dict[str, Any]) -> list[str]:
    """Expired and stale waivers: they need an owner's attention."""
    lines = [
        f"warning: {w['source']}: waiver for {w['check']} on {w['resource']} expired on {w['expires']}; {w['would_match']} finding(s) count again"
        for w in summary["expired"]
    ]
    lines += [
        f"warning: {w['source']}: waiver for {w['check']} on {w['resource']} matches no finding (stale)"
        for w in summary["stale"]
    ]
    return lines


def run(options: PipelineOptions) -> RunResult:
    """Evaluate ``options.paths``; raises the package's errors (UsageError, PackError, ...)
    for what stops a run."""
    messages: list[str] = []

    def say(line: str) -> None:
        messages.append(line)
        options.notify(line)

    project, run_options, paths = options.project, options.run, options.paths
    if options.ledger:
        preload(options.ledger)
    pack_names = available_packs()
    waiver_set = WaiverSet(
        load_waivers(options.waivers_file) if options.waivers_file else project.loaded_waivers(),
        (run_options.now or datetime.now(UTC)).date(),
    )
    baseline = load_baseline(options.baseline_file) if options.baseline_file else None
    with options.progress("Loading packs"):
        evaluator = options.evaluator or build_evaluator(run_options)
    if project.file:
        check_parameters(
            evaluator.packs, project.config.parameters, pack_names, project.file, project.lines
        )
    check_parameters(evaluator.packs, options.cli_parameters, pack_names, "--param")
    run_options.exclusions = project.exclusions(evaluator.packs, pack_names)
    stdin_text = options.stdin(run_options.load.max_file_bytes) if "-" in paths else None
    bundle, store_dir, sign_key = options.bundle, options.store_dir, options.sign_key
    with options.progress("Loading inputs"), gc_paused(freeze=options.gc_freeze):
        # A bundle holds every input's text and resources, stdin has no file to key: the
        # cache serves plain runs over files only.
        use_cache = options.cache and not (bundle or store_dir or "-" in paths)
        cache = (
            Cache(options.cache_dir, run_options.load, verify=options.cache_verify)
            if use_cache
            else None
        )
        # python-hcl2's compiled grammar: derived from installed code, never from inputs
        hcl_grammar.use_cache_dir(
            options.cache_dir if options.cache else hcl_grammar.user_cache_dir()
        )
        workers = options.workers or available_cpus()
        # the inputs' text only for a bundle (it holds them): 170 MB for 10k objects
        keep_texts = bool(bundle or store_dir)
        loaded = load_inputs(
            paths,
            run_options.load,
            stdin_text,
            workers=workers,
            cache=cache,
            keep_texts=keep_texts,
            stamp=evaluator.assessor.stamp,
        )
    for notice in loaded.notices:
        say(f"note: {notice.message}")
    for error in loaded.errors:
        if error.message.startswith(NOTHING_TO_EVALUATE):
            say(f"error: {error.message}")
    waive = waiver_set.waive if waiver_set.waivers else None
    with options.progress("Evaluating"), gc_paused(freeze=options.gc_freeze):
        report: Report | None = None
        if cache is not None:
            try:
                report = evaluate_cached(
                    evaluator, loaded, cache, run_options, waive, workers=workers
                )
            except CacheMiss:
                # a damaged body: load again without the cache
                loaded = load_inputs(
                    paths, run_options.load, stdin_text, workers=workers, keep_texts=keep_texts
                )
        if report is None:
            report = evaluate_loaded(evaluator, loaded, run_options, waive=waive, workers=workers)

    if waiver_set.waivers:
        report = waiver_set.annotate(report)
        for line in waiver_problem_lines(report.extra["waivers"]):
            say(line)
    if baseline:
        report = apply_baseline(report, baseline)
    recorded = record_evidence(
        report,
        loaded,
        bundle=bundle,
        sign_key=sign_key,
        store=store_dir,
        parameters=run_options.parameters,
    )
    report = recorded.report
    for note in recorded.notes:
        say(note)
    ledger_line = None
    if options.ledger:
        ledger_line = record_evaluation(
            options.ledger,
            options.scope,
            report,
            paths=tuple(paths),
            loaded_resources=loaded.resources,
            bundle=bundle,
            bundle_sha256=recorded.bundle_sha256,
            sign_key=sign_key,
        )
        say(ledger_line)
    written = [p for p in (bundle, store_dir) if p is not None]
    return RunResult(
        report,
        report.exit_code(options.fail_on, options.fail_statuses),
        messages,
        written=written,
        bundle_sha256=recorded.bundle_sha256,
        keyid=recorded.keyid,
        ledger_line=ledger_line,
        checks=evaluator.library.checks,
        loaded=loaded,
    )
