"""A Kubernetes field left empty (``ports:``, ``env:``, ``securityContext:``: null) is an
unset field, as the API server takes it: the loader drops it, and the run judges the object
as if it were not written, with no error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from compliance.evaluation.evaluator import Evaluator
from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.k8s import resource_from_object
from compliance.inputs.yamlutil import load_documents
from compliance.runner import RunOptions, build_evaluator

NOW = datetime(2026, 11, 27, tzinfo=UTC)

WRITTEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
spec:
  replicas:
  template:
    metadata:
      labels:
    spec:
      securityContext:
      volumes:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.0.0
          env:
          envFrom:
          ports:
          volumeMounts:
          securityContext:
            capabilities:
              add:
              drop: [ALL]
"""

UNSET = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata: {}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.0.0
          securityContext:
            capabilities:
              drop: [ALL]
"""


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return build_evaluator(RunOptions(now=NOW, load=LoadOptions(env={})))


def test_documents_say_whether_a_mapping_holds_a_null() -> None:
    assert load_documents("a: 1\nb: [x, ~]\n")[0].nulls is False  # a null item, no null value
    assert load_documents("a:\n  b:\n")[0].nulls is True
    assert [d.nulls for d in load_documents("a: ~\n---\nb: 1\n")] == [True, False]


def test_empty_fields_are_unset(evaluator: Evaluator, tmp_path: Path) -> None:
    (tmp_path / "written").mkdir()
    (tmp_path / "unset").mkdir()
    (tmp_path / "written" / "d.yaml").write_text(WRITTEN)
    (tmp_path / "unset" / "d.yaml").write_text(UNSET)
    written = load_paths([str(tmp_path / "written")], LoadOptions(env={}))
    unset = load_paths([str(tmp_path / "unset")], LoadOptions(env={}))
    assert not written.errors
    (resource,) = written.resources
    pod = resource.body["spec"]["template"]["spec"]
    assert "securityContext" not in pod and "volumes" not in pod
    assert set(pod["containers"][0]) == {"name", "image", "securityContext"}
    assert resource.line_for("spec.template.spec.containers[0].ports") == 20  # lines kept
    a = evaluator.evaluate(written.resources, now=NOW)
    b = evaluator.evaluate(unset.resources, now=NOW)
    assert not a.errors and not b.errors
    assert a.findings, "the object must have findings for this test to mean anything"
    assert {(f.check_id, f.message) for f in a.findings} == {
        (f.check_id, f.message) for f in b.findings
    }


def test_a_null_list_item_stays_and_is_an_error_of_its_file(
    evaluator: Evaluator, tmp_path: Path
) -> None:
    (tmp_path / "d.yaml").write_text(WRITTEN.replace("          env:\n", "          env: [~]\n"))
    loaded = load_paths([str(tmp_path)], LoadOptions(env={}))
    (resource,) = loaded.resources
    assert resource.body["spec"]["template"]["spec"]["containers"][0]["env"] == [None]
    report = evaluator.evaluate(loaded.resources, now=NOW)
    assert [(Path(e.file).name, e.line) for e in report.errors] == [("d.yaml", 1)]


def test_an_object_judged_alone_loses_its_null_fields_too() -> None:
    """An AdmissionReview's object (``resource_from_object``) as a file's would."""
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop", "labels": None},
        "spec": {"securityContext": None, "containers": [{"name": "c", "ports": None}]},
    }
    resource = resource_from_object(obj, "admission")
    assert resource.body == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"containers": [{"name": "c"}]},
    }
