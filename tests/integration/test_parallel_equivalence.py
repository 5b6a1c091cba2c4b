"""Loading in processes and pruning unread kinds from the engine input change nothing:
the same resources, errors, skipped files and report as one process sending everything."""

from __future__ import annotations

import functools
import math
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from compliance.evaluation.executor import map_in_processes
from compliance.evidence.redact import input_secrets
from compliance.inputs import LoadOptions, loading
from compliance.policy.analysis import kinds_read
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded, load_inputs
from tests.shared import kube_prometheus

_two_processes = functools.partial(map_in_processes, workers=2)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    sources = sorted(kube_prometheus().glob("*.yaml"))
    # two copies of kube-prometheus; of our smaller fixture, as many as make as many files
    for i in range(1, max(2, math.ceil(170 / len(sources))) + 1):
        dest = root / f"r{i:04d}"
        dest.mkdir(parents=True)
        for src in sources:
            text = src.read_text().replace(
                "namespace: monitoring", f"namespace: monitoring-r{i:04d}"
            )
            (dest / src.name).write_text(text)
    shutil.copytree(ROOT / "examples" / "bpi", root / "bpi")
    (root / "bad.yaml").write_text("a: [1, 2\nb: 3\n")
    (root / "latin1.yaml").write_bytes(b"kind: \xe9\n")
    (root / "notes.txt").write_text("not an input\n")
    (root / "huge.yaml").write_text("# padding\n" * 40_000)  # over the limit set below
    (root / "cm.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"},'
        ' "data": {"api_token": "json-raw-9f8e7d6c"}}'
    )
    return root


def _dump(loaded: Any) -> tuple[Any, ...]:
    return (
        [(r.model_dump(mode="json"), r.lines) for r in loaded.resources],
        [e.model_dump(mode="json") for e in loaded.errors],
        [i.model_dump(mode="json") for i in loaded.inputs],
        loaded.skipped,
        loaded.texts,
    )


def test_loading_in_processes_equals_one_process(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers read their files themselves: the same resources, errors (unparsable, not
    UTF-8, over the size limit) and texts as one process, with or without every text."""
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", 0)
    options = LoadOptions(env={}, max_file_bytes=300_000)
    single = loading.load_paths([str(corpus)], options)
    multi = loading.load_paths([str(corpus)], options, map_files=_two_processes)
    assert len(single.resources) > 200
    assert {e.file.rsplit("/", 1)[-1] for e in single.errors} >= {
        "bad.yaml",
        "latin1.yaml",
        "huge.yaml",
    }
    assert _dump(multi) == _dump(single)
    assert len(single.texts) == len(single.inputs) > 50

    lean = [
        loading.load_paths([str(corpus)], options, map_files=map_files, keep_texts=False)
        for map_files in (None, _two_processes)
    ]
    for loaded in lean:
        # only a JSON input's text: its raw structure is read for secret values
        assert [rel.rsplit("/", 1)[-1] for rel in loaded.texts] == ["cm.json"]
        assert _dump(loaded)[:4] == _dump(single)[:4]
        assert "json-raw-9f8e7d6c" in input_secrets(loaded)


def test_parallel_pruned_report_equals_single_process_full_input(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", 0)
    options = RunOptions(now=NOW, load=LoadOptions(env={}))

    fast = build_evaluator(options)
    loaded = load_inputs([str(corpus)], options.load, workers=2)
    fast_report = evaluate_loaded(fast, loaded, options)

    full = build_evaluator(options)
    sent: list[set[str]] = []

    def everything(present: set[str]) -> set[str]:
        sent.append(set(present))
        return set(present)  # every kind present is sent to the engine

    monkeypatch.setattr(full.analysis, "kinds_read", everything)
    reference = evaluate_loaded(full, load_inputs([str(corpus)], options.load, workers=1), options)

    assert fast_report.model_dump(mode="json") == reference.model_dump(mode="json")
    assert reference.findings
    # the pruning did something: kinds no check reads (PrometheusRule) were not sent
    assert "PrometheusRule" in sent[0]
    assert kinds_read(fast.modules, fast.library, sent[0]) < sent[0]
