"""A resource the checks cannot evaluate is an error of its file and line; every other
resource is still judged (compliance.evaluation.isolate), with the real engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compliance.assess import UNEVALUABLE, Member, observed, set_aside
from compliance.cli.main import cli
from compliance.engine.base import VIOLATIONS_QUERY
from compliance.errors import EngineError
from compliance.evaluation.evaluator import Evaluator
from compliance.evaluation.isolate import unevaluable
from compliance.inputs import LoadOptions, load_paths
from compliance.runner import RunOptions, build_evaluator

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)

# A null list item (the API server refuses it; the loader keeps it as written): a check that
# reads the port cannot take it (regorus fails the whole query on it)
POISONED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  namespace: {namespace}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
          ports: [~]
"""


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return build_evaluator(RunOptions(now=NOW, load=LoadOptions(env={})))


def _load(*paths: Path) -> Any:
    return load_paths([str(p) for p in paths], LoadOptions(env={}))


def _findings(report: Any) -> set[tuple[str, str, str, int]]:
    return {(f.check_id, f.resource.id, f.file, f.line) for f in report.findings}


def test_a_poisoned_resource_leaves_every_other_finding(
    evaluator: Evaluator, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.yaml").write_text(POISONED.format(namespace="one"))
    (bad / "b.yaml").write_text(POISONED.format(namespace="two"))
    alone = evaluator.evaluate(_load(ROOT / "examples" / "bpi").resources, now=NOW)
    loaded = _load(ROOT / "examples" / "bpi", bad)
    with_bad = evaluator.evaluate(loaded.resources, now=NOW)
    assert alone.findings and not alone.errors
    assert _findings(with_bad) == _findings(alone)
    errors = {(e.file.rsplit("/", 1)[-1], e.line) for e in with_bad.errors}
    assert errors == {("a.yaml", 1), ("b.yaml", 1)}
    assert all(
        "Deployment broken: the checks cannot evaluate it" in e.message for e in with_bad.errors
    )
    assert all("ports" not in e.file for e in with_bad.errors)
    assert with_bad.exit_code("none") == 3  # an error: never a clean gate
    broken = {r.id: r.assessed_by for r in with_bad.resources if r.name == "broken"}
    assert len(broken) == 2 and all(by == [] for by in broken.values())
    unassessed = with_bad.summary.model_dump(mode="json")["unassessed"]
    assert unassessed["Deployment"] == {"count": 2, "reason": UNEVALUABLE}
    # the controls whose checks read Kubernetes objects say so; the others keep their status
    status = {(c.pack, c.control_id): c.status for c in with_bad.controls}
    assert "error" in status.values()
    assert any(s == "fail" for s in status.values())


def test_the_cli_names_the_file_and_line_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(POISONED.format(namespace="one"))
    (tmp_path / "good.yaml").write_text(
        POISONED.format(namespace="two")
        .replace("broken", "good")
        .replace("          ports: [~]\n", "")
    )
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        ["evaluate", str(tmp_path), "--no-cache", "--format", "json", "-o", str(out)],
    )
    assert result.exit_code == 3, result.output
    assert "bad.yaml:1: Deployment broken: the checks cannot evaluate it" in result.output
    report = json.loads(out.read_text())
    good = {f["check_id"] for f in report["findings"] if f["resource"]["name"] == "good"}
    assert {"CTR-01", "RES-01"} <= good


def test_a_failure_of_the_policy_itself_is_not_pinned_on_a_resource(
    evaluator: Evaluator,
) -> None:
    """A query that fails whatever the input (here: an undefined function) names no
    resource: the run's error stays the engine's."""
    resources = _load(ROOT / "examples" / "bpi").resources
    asked: list[int] = []

    def evaluate(query: str, document: dict[str, Any]) -> Any:
        asked.append(1)
        raise EngineError("planted: fails on every input")

    assert unevaluable(evaluate, VIOLATIONS_QUERY, resources, {}, NOW, None) == {}
    assert len(asked) == 1  # the empty input failed: no search


def test_a_search_over_budget_gives_up(evaluator: Evaluator, tmp_path: Path) -> None:
    for i in range(6):
        (tmp_path / f"{i}.yaml").write_text(POISONED.format(namespace=f"ns{i}"))
    resources = _load(tmp_path).resources
    engine = evaluator.engine
    kinds = frozenset({"Deployment"})
    found = unevaluable(engine.evaluate, VIOLATIONS_QUERY, resources, {}, NOW, kinds)
    assert sorted(found) == sorted(r.id for r in resources)
    assert unevaluable(engine.evaluate, VIOLATIONS_QUERY, resources, {}, NOW, kinds, budget=5) == {}


def test_the_population_says_which_unassessed_resources_were_set_aside() -> None:
    deployment = Member("d1", "Deployment", "a", "ns", "a.yaml", 1, "k8s", ())
    population = set_aside([deployment, deployment._replace(id="d2")], {"d2"})
    seen = observed(population, [], lambda kind: "none of the properties")
    assert seen.unassessed == {
        "Deployment": {"count": 2, "reason": f"none of the properties; 1 of them: {UNEVALUABLE}"}
    }
    assert observed(population[:1], [], lambda kind: "x").unassessed["Deployment"]["reason"] == "x"
