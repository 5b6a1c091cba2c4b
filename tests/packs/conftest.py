"""Fixture cases for every check, evaluated by the embedded engine and by real OPA.

Layout: ``tests/packs/cases/<CHECK-ID>/<case>/input/`` holds the files to load (as a
user would point ``compliance evaluate`` at the folder) and ``expected.yaml`` says::

    check: TLS-01
    now: 2026-11-27T00:00:00Z     # optional, default below
    params: {tls_min_version: "1.3"}   # optional pack parameter overrides
    findings:                     # exactly the findings of this check; [] = compliant
      - resource: "config:node.toml"
        severity: critical
        message: "..."
        line: 4                   # optional
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.engine.embedded import EmbeddedEngine
from compliance.evaluation.evaluator import Evaluator
from compliance.policy.packs import load_library, load_packs
from tests.oracle import OpaOracleEngine

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="session")
def evaluators() -> dict[str, Evaluator]:
    library = load_library()
    packs = load_packs(None, library)
    return {
        "embedded": Evaluator(EmbeddedEngine(), library, packs),
        "opa": Evaluator(OpaOracleEngine(), library, packs),
    }
