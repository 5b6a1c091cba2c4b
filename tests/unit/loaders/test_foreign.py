"""Inputs that are not ours are skipped with a reason, never errors; kustomize patches and
Helm templates are not evaluated as complete objects, and a notice says how to evaluate
the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.foreign import is_jsonc, tool_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def loaded(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(FIXTURES)
    return load_paths(["foreign"], LoadOptions(env={}))


def _skipped(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.file: s.reason for s in result.skipped}


def test_no_errors_and_every_object_of_ours_once(loaded):
    assert loaded.errors == []
    assert sorted(r.id for r in loaded.resources) == [
        "k8s:apiextensions.k8s.io/v1/CustomResourceDefinition:rules.example.com",
        "k8s:apps/v1/Deployment:shop/web",
        "k8s:v1/Service:shop/web",
    ]
    (web,) = [r for r in loaded.resources if r.kind == "Deployment"]
    assert web.source.file == "foreign/kustomize/base/deployment.yaml"


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("kustomize/base/kustomization.yaml", "kustomize Kustomization"),
        ("kustomize/overlays/staging/Kustomization", "kustomize Kustomization"),
        ("cluster/kind.yaml", "kind cluster configuration (kind.x-k8s.io/v1alpha4 Cluster)"),
        ("cluster/k3d.yaml", "k3d cluster configuration"),
        ("cluster/eksctl.yaml", "eksctl cluster configuration"),
        ("web/tsconfig.json", "TypeScript configuration"),
        ("web/package.json", "npm package manifest"),
        ("web/settings.json", "JSON with comments"),
        ("chart/shop/Chart.yaml", "Helm chart metadata"),
        ("chart/shop/values.yaml", "Helm chart values of foreign/chart/shop"),
    ],
)
def test_tool_files_are_skipped_with_their_reason(loaded, file, reason):
    assert reason in _skipped(loaded)[f"foreign/{file}"]


def test_kustomize_patches_are_skipped_naming_their_target_and_the_build(loaded):
    skipped = _skipped(loaded)
    build = "kustomize build foreign/kustomize/overlays/prod | compliance evaluate -"
    assert skipped["foreign/kustomize/overlays/prod/replicas-patch.yaml"] == (
        "kustomize patch of Deployment/web (named by "
        "foreign/kustomize/overlays/prod/kustomization.yaml), not a complete object: "
        f"evaluate the build: {build}"
    )
    # a strategic-merge patch named without a target: its own kind and name
    assert skipped["foreign/kustomize/overlays/prod/security-patch.yaml"].startswith(
        "kustomize patch of Deployment/web"
    )
    assert skipped["foreign/kustomize/overlays/staging/ops.yaml"].startswith(
        "kustomize patch of Deployment/web (named by "
        "foreign/kustomize/overlays/staging/Kustomization)"
    )
    notices = {n.folder: n for n in loaded.notices}
    assert notices["foreign/kustomize/overlays/prod"].command == build
    assert build in notices["foreign/kustomize/overlays/prod"].message
    assert "foreign/kustomize/overlays/staging" in notices
    assert "foreign/kustomize/base" not in notices  # no patches: evaluated as written


def test_helm_chart_templates_are_skipped_with_the_helm_hint(loaded):
    skipped = _skipped(loaded)
    hint = "helm template foreign/chart/shop | compliance evaluate -"
    for name in ("deployment.yaml", "namespace.yaml", "_helpers.tpl"):
        assert hint in skipped[f"foreign/chart/shop/templates/{name}"]
    assert {n.command for n in loaded.notices if n.folder == "foreign/chart/shop"} == {hint}
    assert "helm template CHART" in skipped["foreign/templated/raw.yaml"]


def test_named_on_the_command_line_they_are_skipped_too(monkeypatch):
    monkeypatch.chdir(FIXTURES)
    files = [
        "foreign/kustomize/base/kustomization.yaml",
        "foreign/cluster/kind.yaml",
        "foreign/web/tsconfig.json",
        "foreign/web/settings.json",
        "foreign/chart/shop/templates/namespace.yaml",
        "foreign/templated/raw.yaml",
    ]
    result = load_paths(files, LoadOptions(env={}))
    assert result.errors == []
    assert sorted(_skipped(result)) == sorted(files)
    assert "helm template foreign/chart/shop" in _skipped(result)[files[4]]


def test_a_tool_document_beside_objects_is_skipped_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mixed.yaml").write_text(
        "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
    )
    result = load_paths(["mixed.yaml"], LoadOptions(env={}))
    assert result.errors == []
    assert [r.name for r in result.resources] == ["shop"]
    assert _skipped(result)["mixed.yaml"].startswith("document at line 1: kind cluster")


def test_broken_json_without_comments_is_still_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "bad.json").write_text('{"apiVersion": "v1", "kind": }')
    result = load_paths(["d"], LoadOptions(env={}))
    assert [(e.file, e.message.split(":")[0]) for e in result.errors] == [
        ("d/bad.json", "invalid JSON")
    ]


def test_jsonc_and_tool_names():
    assert is_jsonc('{"a": 1, // x\n "b": "http://x",}')
    assert not is_jsonc('{"a": 1,}')  # a trailing comma alone: broken JSON
    assert not is_jsonc('{"a": "http://example.com"}')  # no comment to strip
    assert not is_jsonc('{"a": 1 // x\n "b": 2}')  # still broken without comments
    assert tool_file("Kustomization") and tool_file("kustomization.yml")
    assert tool_file("tsconfig.build.json") and tool_file("Chart.yaml")
    assert tool_file("deployment.yaml") is None


def test_a_root_inside_a_charts_templates_folder_is_still_a_chart(monkeypatch):
    monkeypatch.chdir(FIXTURES / "foreign" / "chart" / "shop")
    result = load_paths(["templates"], LoadOptions(env={}))
    assert result.errors == [] and result.resources == []
    skipped = _skipped(result)
    assert "helm template" in skipped["templates/namespace.yaml"]  # valid YAML, yet a template


def test_a_kustomization_named_with_its_patches_skips_them(monkeypatch):
    monkeypatch.chdir(FIXTURES / "foreign" / "kustomize" / "overlays")
    files = ["prod/kustomization.yaml", "prod/replicas-patch.yaml", "./prod/security-patch.yaml"]
    result = load_paths(files, LoadOptions(env={}))
    assert result.errors == [] and result.resources == []
    skipped = _skipped(result)
    assert skipped["prod/replicas-patch.yaml"].startswith("kustomize patch of Deployment/web")
    assert skipped["./prod/security-patch.yaml"].startswith("kustomize patch of Deployment/web")
    assert [n.command for n in result.notices] == ["kustomize build prod | compliance evaluate -"]


def test_a_root_given_as_dot_inside_templates_is_still_a_chart(monkeypatch):
    monkeypatch.chdir(FIXTURES / "foreign" / "chart" / "shop" / "templates")
    result = load_paths(["."], LoadOptions(env={}))
    assert result.resources == []
    assert "helm template" in _skipped(result)["namespace.yaml"]
