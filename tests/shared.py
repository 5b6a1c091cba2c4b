"""``../shared`` beside the checkout: the team's reference material (the public corpus, NIST's
OSCAL schema), never copied into the repository: it holds other projects' files. A fresh clone
has none of it. The tests over the public corpus then run on our own fixture written in its
patterns (``tests/fixtures/monitoring``), so a lone clone runs them too; the one test that
needs NIST's schema itself says so and skips (compliance-trestle validates the same documents
in every run).

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
MONITORING = ROOT / "tests" / "fixtures" / "monitoring"
"""Our own manifests in kube-prometheus's patterns (namespace ``monitoring``)."""


def kube_prometheus() -> Path:
    """kube-prometheus from ../shared, or without it our own fixture in its patterns."""
    return KUBE_PROMETHEUS if KUBE_PROMETHEUS.is_dir() else MONITORING


def corpus_projects() -> list[Path]:
    """The public corpus's projects from ../shared, or without it our own fixture."""
    projects = [CORPUS / "kube-prometheus", CORPUS / "microservices-demo"]
    return projects if all(p.is_dir() for p in projects) else [MONITORING]


def require(path: Path, what: str) -> Path:
    """``path`` if it exists; else skip the test, naming what is missing and why."""
    if not path.exists():
        pytest.skip(
            f"needs {what} at {path} (../shared beside the checkout: reference material "
            "the repository does not carry; CI has it)"
        )
    return path
