"""Every check case: the exact findings, and identical results under real OPA semantics."""

from __future__ import annotations

import pytest

from compliance.loaders import load_paths
from compliance.models import Report
from tests.packs.conftest import Case, all_cases

CASES = all_cases()


def _run(case: Case, evaluator, monkeypatch: pytest.MonkeyPatch) -> Report:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(case.root / "input")
    loaded = load_paths(["."])
    assert not loaded.errors, f"{case.id}: fixture does not load: {loaded.errors}"
    return evaluator.evaluate(
        loaded.resources, now=case.now, parameters=case.expected.get("params") or {}
    )


def _findings_of(report: Report, check: str, with_line: bool) -> list[tuple]:
    return sorted(
        (f.resource.id, f.severity, f.message, *((f.line,) if with_line else ()))
        for f in report.findings
        if f.check_id == check
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_findings(case: Case, evaluators, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    expected = case.expected.get("findings") or []
    with_line = all("line" in e for e in expected) and bool(expected)
    want = sorted(
        (e["resource"], e["severity"], e["message"], *((e["line"],) if with_line else ()))
        for e in expected
    )
    report = _run(case, evaluators["embedded"], monkeypatch)
    assert not report.errors
    assert _findings_of(report, case.check, with_line) == want


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_engines_agree(case: Case, evaluators, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    embedded = _run(case, evaluators["embedded"], monkeypatch)
    opa = _run(case, evaluators["opa"], monkeypatch)
    assert not opa.errors, opa.errors
    dump = lambda r: [f.model_dump() for f in r.findings]  # noqa: E731
    assert dump(embedded) == dump(opa)
    assert [c.status for c in embedded.controls] == [c.status for c in opa.controls]


def test_every_check_has_violating_and_compliant_cases() -> None:
    from compliance.packs import load_library

    by_check: dict[str, list[Case]] = {}
    for case in CASES:
        by_check.setdefault(case.check, []).append(case)
    missing = []
    for check in load_library().checks:
        cases = by_check.get(check, [])
        if not any(c.expected.get("findings") for c in cases):
            missing.append(f"{check}: no violating case")
        if not any(not c.expected.get("findings") for c in cases):
            missing.append(f"{check}: no compliant case")
    assert not missing, "\n".join(missing)
