"""``compliance evaluate`` on inputs that are not ours, on nothing, on poisoned files and
with typo'd overrides (CliRunner, the real engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli

NOW = ["--now", "2026-11-27T00:00:00Z"]

PRIVILEGED = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: t}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
"""

CONFIG = """[security.tls_config]
enabled = true
min_version = "1.0"
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    return tmp_path / "in"


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["evaluate", *args, "--no-cache", *NOW], input=input, catch_exceptions=False
    )


def report_of(result) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("given", "nearest"),
    [
        ("security.tls_config.min_versoin=1.3", "security.tls_config.min_version"),
        ("secuirty.tls_config.min_version=1.3", "security.tls_config.min_version"),
        ("security.firewall_rules[0].sorces=[]", "security.firewall_rules[N].sources"),
    ],
)
def test_a_typod_set_path_is_a_usage_error_naming_the_nearest(work, given, nearest):
    (work / "app.toml").write_text(CONFIG)
    result = run("in", "--format", "json", "--set", given)
    assert result.exit_code == 2, result.output
    path = given.partition("=")[0]
    assert f"--set {path}: no such SecurityConfig setting; did you mean {nearest}?" in (
        result.stderr
    )


def test_a_valid_set_path_still_applies(work):
    (work / "app.toml").write_text(CONFIG)
    result = run("in", "--format", "json", "--set", "security.tls_config.min_version=1.3")
    report = report_of(result)
    assert report["errors"] == []
    assert not [f for f in report["findings"] if f["check_id"] == "TLS-01"]


def test_one_poisoned_file_leaves_the_others_findings_intact(work):
    (work / "pod.yaml").write_text(PRIVILEGED)
    (work / "poison.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: t}\n"
        "data: {}\nsize: 340282366920938463463374607431768211456\n"
    )
    (work / "surrogate.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap",\n'
        ' "metadata": {"name": "s", "namespace": "t"}, "data": {"k": "\\udfff"}}\n'
    )
    result = run("in", "--format", "json")
    assert result.exit_code == 3, result.output
    report = report_of(result)
    assert [(e["file"], e["line"]) for e in report["errors"]] == [
        ("in/poison.yaml", 5),
        ("in/surrogate.json", 2),
    ]
    assert any(
        f["file"] == "in/pod.yaml" and "privileged" in f["message"] for f in report["findings"]
    )
    assert "error" not in {c["status"] for c in report["controls"]}


FOREIGN = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"


def test_inputs_that_are_not_ours_are_skipped_never_errors(monkeypatch):
    monkeypatch.chdir(FOREIGN.parent)
    result = run("foreign", "--format", "json", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    report = report_of(result)
    assert report["errors"] == []
    assert all(set(s) == {"file", "reason"} for s in report["skipped"])
    skipped = {s["file"] for s in report["skipped"]}
    assert {
        "foreign/kustomize/base/kustomization.yaml",
        "foreign/cluster/kind.yaml",
        "foreign/web/tsconfig.json",
        "foreign/kustomize/overlays/prod/replicas-patch.yaml",
        "foreign/chart/shop/templates/deployment.yaml",
    } <= skipped
    assert "extra" not in report or "skipped" not in report["extra"]
    commands = {n["command"] for n in report["notices"]}
    assert "kustomize build foreign/kustomize/overlays/prod | compliance evaluate -" in commands
    assert "helm template foreign/chart/shop | compliance evaluate -" in commands
    assert "note: foreign/kustomize/overlays/prod is a kustomize overlay" in result.stderr
    assert report["summary"]["resources"] == 3


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_nothing_to_evaluate_is_exit_3_never_green(work, fmt):
    result = run("in", "--format", fmt)
    assert result.exit_code == 3, result.output
    message = "nothing to evaluate under in (0 files seen, none recognised)"
    assert message in result.stderr
    if fmt == "json":
        assert report_of(result)["errors"] == [{"file": "in", "line": None, "message": message}]


def test_a_folder_of_files_none_recognised_is_exit_3(work):
    (work / "README.md").write_text("# notes\n")
    (work / "package.json").write_text('{"name": "x"}')
    (work / "values.yaml").write_text("replicas: 2\n")
    result = run("in", "--format", "json")
    assert result.exit_code == 3
    assert report_of(result)["errors"][0]["message"] == (
        "nothing to evaluate under in (3 files seen, none recognised)"
    )


def test_one_recognised_file_is_enough(work):
    (work / "pod.yaml").write_text(PRIVILEGED)
    (work / "package.json").write_text('{"name": "x"}')
    result = run("in", "--format", "json", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    assert report_of(result)["errors"] == []


def test_stdin_with_nothing_of_ours_is_exit_3(work):
    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    result = run("-", "--format", "json", input=kustomization)
    assert result.exit_code == 3
    report = report_of(result)
    assert report["skipped"][0]["file"] == "-"
    assert report["errors"][0]["message"] == (
        "nothing to evaluate under - (1 files seen, none recognised)"
    )
