"""Properties of verdicts over the fixture corpus (examples/bpi, the pack cases' inputs, the
verdict fixtures), with the embedded engine and the bundled packs:

- adding a resource with none of a control's properties never turns that control to pass;
- removing every resource of a kind never leaves a pass whose ``assessed`` lists one;
- no two loaded objects share an id, however often the same object is loaded.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from compliance.evaluation.evaluator import Evaluator
from compliance.inputs import LoadOptions, load_paths
from compliance.model import Report, Resource
from compliance.runner import RunOptions, build_evaluator

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIRS = [
    ROOT / "examples" / "bpi",
    ROOT / "tests" / "fixtures" / "verdicts",
    *sorted((ROOT / "tests" / "packs" / "cases").glob("*/*/input")),
]
NOW = datetime(2026, 11, 27, tzinfo=UTC)
# hypothesis's caches in a temporary folder, not .hypothesis/ in the checkout
_HOME = tempfile.mkdtemp(prefix="compliance-hypothesis-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
set_hypothesis_home_dir(_HOME)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: a failure reproduces in CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


GROUPS = [load_paths([str(folder)], LoadOptions(env={})).resources for folder in CORPUS_DIRS]
"""The corpus by folder: resources that belong together (a bucket and its encryption
configuration, a workload and its NetworkPolicy), where checks join resources."""
CORPUS = [r for group in GROUPS for r in group]
EVALUATOR: Evaluator = build_evaluator(RunOptions(now=NOW))
CONTROL_CHECKS = {f"{p.name}:{c.id}": set(c.checks) for p in EVALUATOR.packs for c in p.controls}

subsets = st.lists(st.sampled_from(range(len(CORPUS))), unique=True, min_size=1, max_size=25)


def evaluate(resources: list[Resource]) -> Report:
    return EVALUATOR.evaluate(resources, now=NOW)


def statuses(report: Report) -> dict[str, str]:
    return {f"{c.pack}:{c.control_id}": c.status for c in report.controls}


def test_the_corpus_is_varied() -> None:
    kinds = {r.kind for r in CORPUS}
    assert len(CORPUS) > 100 and len(kinds) > 30
    assert {"Deployment", "SecurityConfig", "aws_s3_bucket", "Dockerfile"} <= kinds


@settings(SETTINGS, max_examples=60)
@given(data=st.data())
def test_a_resource_without_a_controls_properties_never_makes_it_pass(
    data: st.DataObject,
) -> None:
    # resources of one folder, and one more from the same folder or anywhere
    group = data.draw(st.sampled_from([g for g in GROUPS if len(g) > 1]))
    base = data.draw(st.lists(st.sampled_from(group), unique_by=id, min_size=1, max_size=8))
    added = data.draw(st.sampled_from(group) | st.sampled_from(CORPUS))
    before = statuses(evaluate(base))
    after = statuses(evaluate([*base, added]))
    observes = set(EVALUATOR.assessor.assessed_by(added.kind, added.body, added.facts))
    for control, status in before.items():
        if status != "pass" and not observes & CONTROL_CHECKS[control]:
            assert after[control] != "pass", (control, status, added.id)


@SETTINGS
@given(subset=subsets, data=st.data())
def test_removing_a_kind_leaves_no_pass_that_lists_it(
    subset: list[int], data: st.DataObject
) -> None:
    resources = [CORPUS[i] for i in subset]
    kind = data.draw(st.sampled_from(sorted({r.kind for r in resources})))
    report = evaluate([r for r in resources if r.kind != kind])
    kinds = {r.id: r.kind for r in report.resources}
    assert kind not in kinds.values()
    for c in report.controls:
        if c.status == "pass":
            assert c.assessed
            for ids in c.assessed.values():
                assert ids and all(rid in kinds and kinds[rid] != kind for rid in ids)


@SETTINGS
@given(picks=st.lists(st.sampled_from(range(len(CORPUS))), min_size=1, max_size=25))
def test_no_two_resources_share_an_id_in_memory(picks: list[int]) -> None:
    # the same object twice, and again as if from another file
    resources = [CORPUS[i] for i in picks]
    moved = [
        r.model_copy(
            update={"source": r.source.model_copy(update={"file": f"copy/{r.source.file}"})}
        )
        for r in resources[::2]
    ]
    report = evaluate([*resources, *moved])
    ids = [r.id for r in report.resources]
    assert len(ids) == len(resources) + len(moved) == len(set(ids))
    assert {f.resource.id for f in report.findings} <= set(ids)


FIXTURE_FILES = sorted(
    p for folder in CORPUS_DIRS for p in folder.rglob("*") if p.is_file() and p.suffix != ".md"
)


@SETTINGS
@given(
    files=st.lists(st.sampled_from(FIXTURE_FILES), min_size=1, max_size=8),
    copies=st.integers(min_value=1, max_value=3),
)
def test_no_two_loaded_objects_share_an_id(files: list[Path], copies: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(copies):
            for i, path in enumerate(files):
                target = Path(tmp) / f"tree{n}" / f"{i}" / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
        loaded = load_paths([tmp], LoadOptions(env={}))
        report = evaluate(loaded.resources)
    ids = [r.id for r in report.resources]
    assert len(ids) == len(loaded.resources) == len(set(ids))
    assert report.summary.duplicates == sum(len(d.resources) for d in report.duplicates)
    for f in report.findings:
        (entry,) = [r for r in report.resources if r.id == f.resource.id]
        assert f.file == entry.file


@pytest.mark.parametrize("kind", ["Deployment", "Pod", "StatefulSet", "CronJob"])
def test_a_bare_workload_is_assessed_by_no_transport_auth_or_logging_check(kind: str) -> None:
    body = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}
    from compliance.inputs.k8s import resource_from_object

    spec = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if kind == "Pod":
        body["spec"] = spec
    elif kind == "CronJob":
        body["spec"] = {"jobTemplate": {"spec": {"template": {"spec": spec}}}}
    else:
        body["spec"] = {"template": {"spec": spec}}
    resource = resource_from_object(body, "w.yaml")
    assessed = EVALUATOR.assessor.assessed_by(resource.kind, resource.body, resource.facts)
    assert not [c for c in assessed if c.startswith(("TLS-", "AUTH-", "LOG-", "ENC-", "SEC-"))]
    report = evaluate([resource])
    for c in report.controls:
        if c.status == "pass":
            assert not [k for k in c.assessed if k.startswith(("TLS-", "AUTH-", "LOG-", "ENC-"))]


@pytest.mark.parametrize(
    "folder", range(len(GROUPS)), ids=[str(d.relative_to(ROOT)) for d in CORPUS_DIRS]
)
def test_leaving_one_resource_out_then_adding_it_back(folder: int) -> None:
    """Every resource of a folder added to the rest of it: the property above, for each
    folder exhaustively (where checks join resources of one configuration)."""
    group = GROUPS[folder]
    if len(group) > 40:
        pytest.skip("the exhaustive pass is for small folders; large ones are sampled above")
    after = statuses(evaluate(group))
    for i, added in enumerate(group):
        before = statuses(evaluate(group[:i] + group[i + 1 :]))
        observes = set(EVALUATOR.assessor.assessed_by(added.kind, added.body, added.facts))
        for control, status in before.items():
            if status != "pass" and not observes & CONTROL_CHECKS[control]:
                assert after[control] != "pass", (control, status, added.id)
