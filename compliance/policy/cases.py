"""The packs' own tests: fixture cases evaluated by an engine against their expected findings.

Layout: ``<cases>/<CHECK-ID>/<case>/input/`` holds the files to load (as a user would point
``compliance evaluate`` at the folder) and ``expected.yaml`` says::

    check: TLS-01
    now: 2026-11-27T00:00:00Z          # optional, default DEFAULT_NOW
    params: {tls_min_version: "1.3"}   # optional pack parameter overrides
    findings:                          # exactly the findings of this check; [] = compliant
      - resource: "config:node.toml"
        severity: critical
        message: "..."
        line: 4                        # optional; compared when every finding has one

Used by ``compliance packs test`` (embedded engine, works from an installed package given a
cases folder) and by ``tests/packs`` (which also runs every case under real OPA).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from compliance.errors import PackError
from compliance.inputs import LoadResult, load_paths
from compliance.inputs.yamlutil import YamlError, load_documents
from compliance.model import Report, Resource
from compliance.policy.packs import policy_root


class Evaluator(Protocol):
    """What running a case needs of an evaluator (``compliance.evaluation.evaluator``)."""

    def evaluate(
        self,
        resources: Sequence[Resource],
        *,
        now: datetime | None = ...,
        parameters: dict[str, Any] | None = ...,
    ) -> Report: ...


DEFAULT_NOW = "2026-11-27T00:00:00Z"


def cases_root() -> Path:
    """``tests/packs/cases`` beside the policies of a source checkout; else the copy a wheel
    ships as ``compliance/_cases``."""
    checkout = policy_root().parent / "tests" / "packs" / "cases"
    return checkout if checkout.is_dir() else Path(__file__).resolve().parents[1] / "_cases"


Expected = tuple[Any, ...]
"""(resource id, severity, message[, line])"""


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
        return parse_time(str(self.expected.get("now", DEFAULT_NOW)))

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.expected.get("params") or {})

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.expected.get("findings") or [])

    @property
    def with_line(self) -> bool:
        return bool(self.findings) and all("line" in f for f in self.findings)

    def want(self) -> list[Expected]:
        return sorted(
            (f["resource"], f["severity"], f["message"], *((f["line"],) if self.with_line else ()))
            for f in self.findings
        )


@dataclass
class CaseResult:
    case: Case
    missing: list[Expected] = field(default_factory=list)
    """Expected findings the engine did not report."""
    unexpected: list[Expected] = field(default_factory=list)
    """Findings of the case's check that were not expected."""
    errors: list[str] = field(default_factory=list)
    """Fixture load errors and engine errors."""

    @property
    def passed(self) -> bool:
        return not (self.missing or self.unexpected or self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case.id,
            "check": self.case.check,
            "passed": self.passed,
            "missing": [list(e) for e in self.missing],
            "unexpected": [list(e) for e in self.unexpected],
            "errors": self.errors,
        }


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def discover(cases_dir: Path, checks: set[str] | None = None) -> list[Case]:
    """Every ``<check>/<case>/expected.yaml`` under ``cases_dir`` (optionally of ``checks``).

    Raises PackError naming the file (and line) of a malformed ``expected.yaml``."""
    if not cases_dir.is_dir():
        raise PackError("cases folder not found", file=str(cases_dir))
    out = []
    for expected in sorted(cases_dir.glob("*/*/expected.yaml")):
        check, name = expected.parent.parent.name, expected.parent.name
        if checks and check not in checks:
            continue
        out.append(Case(check, name, expected.parent, _read_expected(expected, check)))
    return out


def _read_expected(path: Path, check: str) -> dict[str, Any]:
    try:
        docs = load_documents(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise PackError(f"cannot read: {e}", file=str(path)) from e
    except YamlError as e:
        raise PackError(e.message, file=str(path), line=e.line) from e
    if len(docs) != 1 or not isinstance(docs[0].value, dict):
        raise PackError("expected.yaml must be one mapping (check, findings, ...)", file=str(path))
    doc = docs[0]
    data: dict[str, Any] = doc.value
    if data.get("check", check) != check:
        raise PackError(
            f"check {data['check']!r} does not match the folder {check!r}",
            file=str(path),
            line=doc.lines.get("check"),
        )
    findings = data.get("findings") or []
    if not isinstance(findings, list):
        raise PackError("findings must be a list", file=str(path), line=doc.lines.get("findings"))
    for i, f in enumerate(findings):
        missing = [
            k for k in ("resource", "severity", "message") if not isinstance(f, dict) or k not in f
        ]
        if missing:
            raise PackError(
                f"findings[{i}] needs {', '.join(missing)}",
                file=str(path),
                line=doc.lines.get(f"findings[{i}]"),
            )
    if "now" in data:
        try:
            parse_time(str(data["now"]))
        except ValueError as e:
            raise PackError(f"now: {e}", file=str(path), line=doc.lines.get("now")) from e
    if not isinstance(data.get("params") or {}, dict):
        raise PackError("params must be a mapping", file=str(path), line=doc.lines.get("params"))
    return data


def load_case(case: Case) -> LoadResult:
    """Resource ids and files relative to the case's input folder, as for a user there."""
    with contextlib.chdir(case.root / "input"):
        return load_paths(["."])


def evaluate_case(case: Case, evaluator: Evaluator) -> tuple[LoadResult, Report]:
    loaded = load_case(case)
    report = evaluator.evaluate(loaded.resources, now=case.now, parameters=case.params)
    return loaded, report


def findings_of(report: Report, check: str, with_line: bool) -> list[Expected]:
    return sorted(
        (f.resource.id, f.severity, f.message, *((f.line,) if with_line else ()))
        for f in report.findings
        if f.check_id == check
    )


def run_case(case: Case, evaluator: Evaluator) -> CaseResult:
    result = CaseResult(case)
    try:
        loaded, report = evaluate_case(case, evaluator)
    except Exception as e:  # a broken case is a failed case, never a crash of the run
        result.errors.append(f"{type(e).__name__}: {e}")
        return result
    result.errors += [
        f"{e.file}{f':{e.line}' if e.line else ''}: {e.message}" for e in loaded.errors
    ]
    result.errors += [f"{e.file}: {e.message}" for e in report.errors if e not in loaded.errors]
    got = findings_of(report, case.check, case.with_line)
    want = case.want()
    result.missing = sorted((Counter(want) - Counter(got)).elements())
    result.unexpected = sorted((Counter(got) - Counter(want)).elements())
    return result


def run_cases(cases: list[Case], evaluator: Evaluator) -> list[CaseResult]:
    return [run_case(c, evaluator) for c in cases]
