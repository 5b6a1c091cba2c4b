"""Inputs fuzzing (or a red-team pass) once broke, kept as cases: each loads without an
uncaught exception, its errors name it, and no planted value (``Pv...Q7``) reaches the
report or the bundle's copy."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from compliance.evidence.bundle import redact_inputs
from compliance.evidence.redact import input_secrets, redact_report
from compliance.formats import renderer
from compliance.inputs import LoadOptions, load_paths
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded

CASES = sorted((Path(__file__).parent / "regressions").iterdir())
PLANTED = re.compile(r"Pv[A-Za-z0-9]+Q7")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_regression_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(case, tmp_path / case.name)
    monkeypatch.chdir(tmp_path)
    loaded = load_paths(["."], LoadOptions(env={}))
    assert all(e.file == case.name for e in loaded.errors), loaded.errors
    planted = set(PLANTED.findall(case.read_text(encoding="utf-8")))
    assert planted
    texts, _, _ = redact_inputs(loaded)
    report = evaluate_loaded(build_evaluator(RunOptions()), loaded, RunOptions())
    safe = renderer("json")(redact_report(report, input_secrets(loaded)))
    for value in planted:
        assert all(value not in t for t in texts.values()), value
        assert value not in safe, value
