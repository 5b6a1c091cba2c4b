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
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compliance.baseline import apply_baseline, load_baseline
from compliance.collector import gc_paused
from compliance.errors import InputError
from compliance.evaluation.executor import available_cpus
from compliance.evidence import record_evidence
from compliance.evidence.redact import clean_data, input_secrets
from compliance.incremental.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from compliance.incremental.cache import Cache, CacheMiss
from compliance.incremental.run import evaluate_cached, evaluate_cached_data
from compliance.inputs import hcl_grammar
from compliance.inputs.reading import read_stdin
from compliance.inputs.registry import NOTHING_TO_EVALUATE
from compliance.ledger import preload, record_evaluation
from compliance.model.report import Report, exit_code_of
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
    data_ok: bool = False
    """The caller renders JSON: a run without waivers, baseline or signing may return the
    report's data (from cached rows) instead of a Report."""
    stdin: Callable[[int], str | InputError] = read_standard_input
    """Reads ``-`` (called only when ``paths`` holds it) under the given byte limit."""
    progress: Callable[[str], AbstractContextManager[None]] = _no_progress
    notify: Callable[[str], None] = _discard
    """Receives each line for standard error when it arises."""


@dataclass
class RunResult:
    """A finished run: ``report`` or (JSON fast path) ``data``, exactly one of them."""

    report: Report | None
    data: dict[str, Any] | None
    exit_code: int
    errors: list[dict[str, Any]]
    """The report's errors (input, pack, engine), as JSON data."""
    messages: list[str]
    """Lines for standard error (notices, warnings, what was written), in order."""
    written: list[Path] = field(default_factory=list)
    """Files and folders the run wrote besides the report: the bundle, the evidence store."""
    bundle_sha256: str | None = None
    keyid: str | None = None
    """The signer's key id when a bundle was written."""
    ledger_line: str | None = None

    def error_lines(self) -> list[str]:
        """The errors as ``error: file:line: message`` lines and a count (the inputs holding
        nothing to evaluate were said before evaluating); empty without errors."""
        if not self.errors:
            return []
        lines = []
        for e in self.errors:
            if str(e["message"]).startswith(NOTHING_TO_EVALUATE):
                continue
            where = str(e.get("file") or "")
            if where and e.get("line"):
                where = f"{where}:{e['line']}"
            lines.append(f"error: {where}: {e['message']}" if where else f"error: {e['message']}")
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
        preload()
    pack_names = available_packs()
    waiver_set = WaiverSet(
        load_waivers(options.waivers_file) if options.waivers_file else project.loaded_waivers(),
        (run_options.now or datetime.now(UTC)).date(),
    )
    baseline = load_baseline(options.baseline_file) if options.baseline_file else None
    with options.progress("Loading packs"):
        evaluator = build_evaluator(run_options)
    if project.file:
        check_parameters(
            evaluator.packs, project.config.parameters, pack_names, project.file, project.lines
        )
    check_parameters(evaluator.packs, options.cli_parameters, pack_names, "--param")
    run_options.exclusions = project.exclusions(evaluator.packs, pack_names)
    stdin_text = options.stdin(run_options.load.max_file_bytes) if "-" in paths else None
    bundle, store_dir, sign_key = options.bundle, options.store_dir, options.sign_key
    with options.progress("Loading inputs"), gc_paused(freeze=True):
        # A bundle holds every input's text and resources, stdin has no file to key: the
        # cache serves plain runs over files only.
        use_cache = options.cache and not (bundle or store_dir or "-" in paths)
        cache = (
            Cache(options.cache_dir, run_options.load, verify=options.cache_verify)
            if use_cache
            else None
        )
        # python-hcl2's compiled grammar: derived from installed code, never from inputs
        hcl_grammar.use_cache_dir(options.cache_dir if options.cache else None)
        workers = available_cpus()
        # the inputs' text only for a bundle (it holds them): 170 MB for 10k objects
        keep_texts = bool(bundle or store_dir)
        loaded = load_inputs(
            paths, run_options.load, stdin_text, workers=workers, cache=cache, keep_texts=keep_texts
        )
    for notice in loaded.notices:
        say(f"note: {notice['message']}")
    for error in loaded.errors:
        if error.message.startswith(NOTHING_TO_EVALUATE):
            say(f"error: {error.message}")
    waive = waiver_set.waive if waiver_set.waivers else None
    # A cached JSON run without waivers or a baseline gives the report's data straight from
    # the cached rows (no model per finding; the same bytes, tested).
    as_data = options.data_ok and waive is None and baseline is None and sign_key is None
    with options.progress("Evaluating"), gc_paused(freeze=True):
        report: Report | None = None
        data: dict[str, Any] | None = None
        if cache is not None:
            try:
                if as_data:
                    data = evaluate_cached_data(
                        evaluator, loaded, cache, run_options, workers=workers
                    )
                else:
                    report = evaluate_cached(
                        evaluator, loaded, cache, run_options, waive, workers=workers
                    )
            except CacheMiss:
                # a damaged body: load again without the cache
                loaded = load_inputs(
                    paths, run_options.load, stdin_text, workers=workers, keep_texts=keep_texts
                )
        if data is not None and not clean_data(data, input_secrets(loaded)):
            report, data = Report.model_validate(data), None  # a secret to mask: models
        if report is None and data is None:
            report = evaluate_loaded(evaluator, loaded, run_options, waive=waive, workers=workers)

    def record(report_data: dict[str, Any], **evidence: Any) -> str | None:
        """Records the run in the ledger, when one is given; the line it says."""
        if not options.ledger:
            return None
        line = record_evaluation(
            options.ledger,
            options.scope,
            report_data,
            paths=tuple(paths),
            loaded_resources=loaded.resources,
            **evidence,
        )
        say(line)
        return line

    if data is not None:
        ledger_line = record(data)
        code = exit_code_of(
            bool(data["errors"]),
            [c["status"] for c in data["controls"]],
            (f["severity"] for f in data["findings"]),  # all open: no waivers
            options.fail_on,
            options.fail_statuses,
        )
        return RunResult(None, data, code, data["errors"], messages, ledger_line=ledger_line)
    assert report is not None
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
    ledger_line = record(
        report.model_dump(mode="json"),
        bundle=bundle,
        bundle_sha256=recorded.bundle_sha256,
        sign_key=sign_key,
    )
    written = [p for p in (bundle, store_dir) if p is not None]
    return RunResult(
        report,
        None,
        report.exit_code(options.fail_on, options.fail_statuses),
        [e.model_dump(mode="json") for e in report.errors],
        messages,
        written=written,
        bundle_sha256=recorded.bundle_sha256,
        keyid=recorded.keyid,
        ledger_line=ledger_line,
    )
