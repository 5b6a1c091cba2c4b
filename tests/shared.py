"""``../shared`` beside the checkout: the team's reference material (the public corpus, NIST's
OSCAL schema), never copied into the repository. A fresh clone has none of it; every test that
needs it says so and skips, with the reason, instead of silently testing less.

``COMPLIANCE_SHARED_DIR`` points elsewhere (an empty folder runs the suite as a lone clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMPLIANCE_SHARED_DIR") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus"
KUBE_PROMETHEUS = CORPUS / "kube-prometheus"
OSCAL_AR_SCHEMA = SHARED / "schemas" / "oscal-1.0.6-assessment-results.schema.json"


def require(path: Path, what: str) -> Path:
    """``path`` if it exists; else skip the test, naming what is missing and why."""
    if not path.exists():
        pytest.skip(
            f"needs {what} at {path} (../shared beside the checkout: reference material "
            "the repository does not carry; CI has it)"
        )
    return path
