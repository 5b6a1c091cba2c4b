"""Baselines: findings matched by fingerprint; new/unchanged/fixed counts; exit codes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from compliance.baseline import Baseline, apply_baseline, load_baseline
from compliance.errors import UsageError
from compliance.evaluation.evaluator import Evaluator
from compliance.formats import renderer
from compliance.model import CheckMeta, Control, Pack, Resource, Source
from compliance.model.report import Report
from compliance.policy.packs import CheckLibrary
from tests.conftest import FakeEngine

NOW = datetime(2026, 11, 27, tzinfo=UTC)
LIB = CheckLibrary(
    modules={"checks/x.rego": "package compliance.checks.x"},
    checks={"A-01": CheckMeta(id="A-01", title="a", severity="high", kinds=["Deployment"])},
)
PACK = Pack(
    name="p",
    framework="F",
    version="1.0.0",
    controls=[Control(id="C1", title="c", checks=["A-01"])],
)


def deployment(line: int = 1) -> Resource:
    return Resource(
        id="k8s:apps/v1/Deployment:ns/web",
        kind="Deployment",
        name="web",
        namespace="ns",
        source=Source(file="d.yaml", line=line, format="k8s"),
        body={},
    )


def evaluate(*violations: dict[str, Any], line: int = 1) -> Report:
    return Evaluator(FakeEngine(list(violations)), LIB, [PACK]).evaluate(
        [deployment(line)], now=NOW
    )


def v(message: str, severity: str = "high") -> dict[str, Any]:
    return {"check": "A-01", "resource": deployment().id, "message": message, "severity": severity}


def saved(report: Report, tmp_path: Path) -> Baseline:
    path = tmp_path / "baseline.json"
    path.write_text(renderer("json")(report))
    return load_baseline(path)


def test_new_unchanged_fixed(tmp_path: Path) -> None:
    baseline = saved(evaluate(v("one"), v("two")), tmp_path)
    report = apply_baseline(evaluate(v("two"), v("three")), baseline)
    marks = {f.message: f.baseline for f in report.findings}
    assert marks == {"two": "unchanged", "three": "new"}
    counts = {k: report.extra["baseline"][k] for k in ("new", "unchanged", "fixed")}
    assert counts == {"new": 1, "unchanged": 1, "fixed": 1}
    assert report.extra["baseline"]["source"] == str(tmp_path / "baseline.json")


def test_matching_ignores_lines(tmp_path: Path) -> None:
    baseline = saved(evaluate(v("one"), line=1), tmp_path)
    moved = apply_baseline(evaluate(v("one"), line=40), baseline)
    assert moved.findings[0].line == 40
    assert moved.findings[0].baseline == "unchanged"


def test_exit_code_reflects_new_findings_only(tmp_path: Path) -> None:
    baseline = saved(evaluate(v("known", "critical")), tmp_path)
    unchanged = apply_baseline(evaluate(v("known", "critical")), baseline)
    assert evaluate(v("known", "critical")).exit_code("high") == 1  # without the baseline
    assert unchanged.exit_code("high") == 0
    assert unchanged.exit_code("info") == 0
    new_low = apply_baseline(evaluate(v("known", "critical"), v("fresh", "low")), baseline)
    assert new_low.exit_code("high") == 0
    assert new_low.exit_code("low") == 1
    new_high = apply_baseline(evaluate(v("known", "critical"), v("fresh", "high")), baseline)
    assert new_high.exit_code("high") == 1


def test_control_status_gate_is_not_relaxed_by_the_baseline(tmp_path: Path) -> None:
    """A control with only baseline findings is still ``fail``: --fail-on-control-status sees it."""
    baseline = saved(evaluate(v("known")), tmp_path)
    report = apply_baseline(evaluate(v("known")), baseline)
    assert report.controls[0].status == "fail"
    assert report.exit_code("high") == 0
    assert report.exit_code("high", ["fail"]) == 1
    assert report.exit_code("none", ["error"]) == 0


def test_all_fixed(tmp_path: Path) -> None:
    baseline = saved(evaluate(v("one"), v("two")), tmp_path)
    report = apply_baseline(evaluate(), baseline)
    assert {k: report.extra["baseline"][k] for k in ("new", "unchanged", "fixed")} == {
        "new": 0,
        "unchanged": 0,
        "fixed": 2,
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "not a compliance JSON report"),
        (b'{"schema_version": 2, "findings": []}', "not a compliance JSON report"),
        (
            b'{"schema_version": 1, "findings": [{"check_id": "A-01"}]}',
            r"findings\[0\] has no fingerprint",
        ),
    ],
)
def test_bad_baseline_is_a_usage_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "old.json"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=message) as info:
        load_baseline(path)
    assert info.value.file == str(path)
    assert info.value.exit_code == 2


def test_missing_baseline(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.json")
