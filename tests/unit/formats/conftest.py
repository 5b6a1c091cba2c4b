"""A real evaluator (regorus engine, the shipped packs) for format tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compliance.evaluation.evaluator import Evaluator, Waive
from compliance.model import Report
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded, load_inputs

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 27, tzinfo=UTC)

PRIVILEGED_POD = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: t}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
"""

Evaluate = Callable[..., Report]


@pytest.fixture(scope="session")
def evaluator() -> Evaluator:
    return build_evaluator(RunOptions(now=NOW))


@pytest.fixture
def evaluate(evaluator: Evaluator) -> Evaluate:
    """Evaluate paths (relative to the current directory) with the real packs."""

    def run(*paths: str, waive: Waive | None = None) -> Report:
        options = RunOptions(now=NOW)
        return evaluate_loaded(
            evaluator, load_inputs(list(paths), options.load), options, waive=waive
        )

    return run
