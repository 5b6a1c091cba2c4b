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

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.engine.embedded import EmbeddedEngine
from compliance.evaluate import Evaluator
from compliance.packs import load_library, load_packs
from tests.oracle import OpaOracleEngine

CASES = Path(__file__).parent / "cases"
DEFAULT_NOW = "2026-11-27T00:00:00Z"


@dataclass(frozen=True)
class Case:
    check: str
    name: str
    root: Path
    expected: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.check}/{self.name}"

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(
            str(self.expected.get("now", DEFAULT_NOW)).replace("Z", "+00:00")
        )


def all_cases() -> list[Case]:
    out = []
    for expected in sorted(CASES.glob("*/*/expected.yaml")):
        data = yaml.safe_load(expected.read_text())
        out.append(Case(expected.parent.parent.name, expected.parent.name, expected.parent, data))
    return out


@pytest.fixture(scope="session")
def evaluators() -> dict[str, Evaluator]:
    library = load_library()
    packs = load_packs(None, library)
    return {
        "embedded": Evaluator(EmbeddedEngine(), library, packs),
        "opa": Evaluator(OpaOracleEngine(), library, packs),
    }
