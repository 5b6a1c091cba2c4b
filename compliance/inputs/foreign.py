"""Files that are not deployment inputs: recognised and skipped with a reason, never errors.

Tool configurations that look like Kubernetes objects (kustomize, kind, k3d, eksctl, ...),
package manifests, JSON with comments (tsconfig.json), Helm chart templates, and the
files a kustomization applies as patches (partial objects: evaluating them as complete
objects would fail every check). Where a faithful result needs a build step, a notice
names the folder and the command.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from compliance.errors import InputError
from compliance.inputs.reading import decode, read_regular
from compliance.inputs.yamlutil import YamlError, load_documents
from compliance.model.notes import BuildNotice

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
CHART_FILE = "Chart.yaml"

TOOL_API_GROUPS: dict[str, str] = {
    "kustomize.config.k8s.io": "kustomize configuration",
    "kind.x-k8s.io": "kind cluster configuration",
    "k3d.io": "k3d cluster configuration",
    "eksctl.io": "eksctl cluster configuration",
    "kubeadm.k8s.io": "kubeadm configuration",
    "kubelet.config.k8s.io": "kubelet configuration",
    "kubeproxy.config.k8s.io": "kube-proxy configuration",
    "apiserver.config.k8s.io": "API server configuration",
    "audit.k8s.io": "API server audit policy",
    "ctlptl.dev": "ctlptl cluster configuration",
    "kpt.dev": "kpt package configuration",
    "skaffold": "Skaffold configuration",
    "config.kubernetes.io": "kustomize/kpt function configuration",
}
"""apiVersion group -> what such a document configures (a tool, not the cluster)."""

TOOL_FILE_NAMES: dict[str, str] = {
    "package.json": "npm package manifest",
    "package-lock.json": "npm lock file",
    "composer.json": "Composer package manifest",
    "bower.json": "Bower package manifest",
    "chart.yaml": "Helm chart metadata",
    "chart.lock": "Helm chart lock file",
    "tsconfig.json": "TypeScript configuration",
    "jsconfig.json": "JavaScript project configuration",
    "deno.json": "Deno configuration",
    "lerna.json": "Lerna configuration",
    "nx.json": "Nx configuration",
    "turbo.json": "Turborepo configuration",
    "angular.json": "Angular workspace configuration",
    "renovate.json": "Renovate configuration",
    "devcontainer.json": "dev container configuration",
    ".devcontainer.json": "dev container configuration",
    "pnpm-lock.yaml": "pnpm lock file",
    "pnpm-workspace.yaml": "pnpm workspace configuration",
    "pubspec.yaml": "Dart package manifest",
    "environment.yml": "conda environment",
    "environment.yaml": "conda environment",
    "mkdocs.yml": "MkDocs configuration",
    ".pre-commit-config.yaml": "pre-commit configuration",
    ".golangci.yml": "golangci-lint configuration",
    ".golangci.yaml": "golangci-lint configuration",
    ".goreleaser.yml": "GoReleaser configuration",
    ".goreleaser.yaml": "GoReleaser configuration",
    "codecov.yml": "Codecov configuration",
    ".gitlab-ci.yml": "GitLab CI configuration",
    ".travis.yml": "Travis CI configuration",
    "dependabot.yml": "Dependabot configuration",
    "azure-pipelines.yml": "Azure Pipelines configuration",
    ".readthedocs.yaml": "Read the Docs configuration",
    "cloudbuild.yaml": "Cloud Build configuration",
}
"""File name (lower case) -> what it is: never a deployment input, whatever it holds."""

_TSCONFIG = re.compile(r"^(tsconfig|jsconfig)\..*\.json$|^\.?eslintrc(\..*)?\.json$", re.I)
_VALUES = re.compile(r"^values([.-].*)?\.ya?ml$", re.I)


def tool_file(name: str) -> str | None:
    """What a file is, by its name alone, when it is never a deployment input."""
    if name in KUSTOMIZATION_NAMES:
        return "kustomize Kustomization (how to build manifests), not a deployment object"
    what = TOOL_FILE_NAMES.get(name.lower())
    if what is None and _TSCONFIG.match(name):
        what = "TypeScript/JavaScript tool configuration"
    return f"{what}, not a deployment input" if what else None


def tool_document(value: dict[str, Any]) -> str | None:
    """What a document with ``apiVersion`` and ``kind`` configures when it is a tool's
    configuration (kind, k3d, eksctl, kustomize ...) rather than a cluster object."""
    api_version = value.get("apiVersion")
    if not isinstance(api_version, str):
        return None
    what = _tool_group(api_version)
    return f"{what} ({api_version} {value.get('kind')}), not a cluster object" if what else None


def tool_object(value: Any) -> str | None:
    """``tool_document`` for a document that looks like a Kubernetes object (a mapping with
    ``apiVersion`` and ``kind``); None for any other."""
    if isinstance(value, dict) and "apiVersion" in value and "kind" in value:
        return tool_document(value)
    return None


@functools.lru_cache(maxsize=1024)
def _tool_group(api_version: str) -> str | None:
    group = api_version.split("/", 1)[0]
    for suffix, what in TOOL_API_GROUPS.items():
        if group == suffix or group.endswith("." + suffix):
            return what
    return None


_LINE_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')


def is_jsonc(text: str) -> bool:
    """Whether ``text`` holds ``//`` or ``/* */`` comments and is JSON once they and
    trailing commas go (tsconfig.json, VS Code settings): a tool's configuration."""
    stripped = _LINE_COMMENT.sub(lambda m: m.group(1) or "", text)
    if stripped == text:  # no comment: broken JSON, not a tool's JSONC
        return False
    stripped = _TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), stripped)
    try:
        json.loads(stripped)
    except (ValueError, RecursionError):
        return False
    return True


def helm_hint(chart: str) -> str:
    return f"helm template {chart} | compliance evaluate -"


def kustomize_hint(folder: str) -> str:
    return f"kustomize build {folder} | compliance evaluate -"


TEMPLATE_REASON = (
    "Go/Helm template (holds {{ }}), not YAML as written: render it first "
    "(helm template CHART | compliance evaluate -)"
)


@dataclass
class Plan:
    """What a scan of a folder skips before reading, and the notices it gives."""

    skipped: dict[str, str]
    """rel path -> reason (kustomize patches, Helm chart templates)."""
    notices: list[BuildNotice]


def chart_template(path: Path) -> str | None:
    """Why a file named on the command line is skipped when it is a Helm chart template
    (under a ``templates`` folder beside a Chart.yaml)."""
    parts = path.parts
    if "templates" not in parts[:-1]:
        return None
    for parent in path.parents:
        if parent.name == "templates" and (parent.parent / CHART_FILE).is_file():
            chart = parent.parent.as_posix()
            return (
                f"Helm chart template of {chart}, not YAML as written: "
                f"render it: {helm_hint(chart)}"
            )
    return None


def _folder(rel: str) -> str:
    parent = PurePosixPath(rel).parent.as_posix()
    return parent


def plan(names: dict[str, str], limit: int) -> Plan:
    """Look at a folder's listing (rel path -> file name): the Helm charts (folders with a
    Chart.yaml) and the kustomizations, to skip chart templates and the files a
    kustomization applies as patches."""
    all_rels = list(names)
    skipped: dict[str, str] = {}
    notices: list[BuildNotice] = []
    charts = sorted(_folder(r) for r in all_rels if names[r] == CHART_FILE)
    for chart in charts:
        notices.append(
            BuildNotice(
                folder=chart,
                command=helm_hint(chart),
                message=f"{chart} is a Helm chart: its templates are evaluated only once "
                f"rendered: {helm_hint(chart)}",
            )
        )
    if charts:
        prefixes = [("" if c == "." else c + "/") + "templates/" for c in charts]
        chart_set = set(charts)
        for rel in all_rels:
            folder = _folder(rel)
            if folder in chart_set and _VALUES.match(names[rel]):
                skipped[rel] = f"Helm chart values of {folder}, not a deployment input"
                continue
            for chart, prefix in zip(charts, prefixes, strict=True):
                if rel.startswith(prefix):
                    skipped[rel] = (
                        f"Helm chart template of {chart}, not YAML as written: "
                        f"render it: {helm_hint(chart)}"
                    )
                    break
    known = set(all_rels)
    for rel in all_rels:
        if names[rel] not in KUSTOMIZATION_NAMES:
            continue
        patches = _patches(rel, known, limit)
        if not patches:
            continue
        folder = _folder(rel)
        for target_rel, target in patches.items():
            skipped.setdefault(
                target_rel,
                f"kustomize patch of {target} (named by {rel}), not a complete object: "
                f"evaluate the build: {kustomize_hint(folder)}",
            )
        notices.append(
            BuildNotice(
                folder=folder,
                command=kustomize_hint(folder),
                message=f"{folder} is a kustomize overlay: its {len(patches)} patch "
                f"file(s) are not complete objects and are not evaluated; for a faithful "
                f"result evaluate the build: {kustomize_hint(folder)}",
            )
        )
    return Plan(skipped, notices)


def _patches(rel: str, known: set[str], limit: int) -> dict[str, str]:
    """The files (rel paths, within ``known``) a kustomization applies as patches, each
    with its target as the kustomization or the patch itself names it."""
    try:
        text = decode(read_regular(rel, rel, limit), rel)
        docs = load_documents(text)
    except (InputError, YamlError):
        return {}
    if not docs or not isinstance(docs[0].value, dict):
        return {}
    spec = docs[0].value
    folder = _folder(rel)
    out: dict[str, str] = {}
    entries: list[tuple[Any, Any]] = []
    for item in spec.get("patchesStrategicMerge") or []:
        entries.append((item, None))
    for key in ("patches", "patchesJson6902"):
        for item in spec.get(key) or []:
            if isinstance(item, dict):
                entries.append((item.get("path"), item.get("target")))
            else:
                entries.append((item, None))
    for path, target in entries:
        if not isinstance(path, str) or "\n" in path or not path.strip():
            continue  # an inline patch: no file
        joined = os.path.normpath(os.path.join(folder, path.strip()))
        patch_rel = PurePosixPath(Path(joined).as_posix()).as_posix()
        if patch_rel not in known:
            continue
        out[patch_rel] = _target(target) or _target_of_file(patch_rel, limit)
    return out


def _target(target: Any) -> str | None:
    if not isinstance(target, dict):
        return None
    kind, name = target.get("kind"), target.get("name")
    if not kind and not name:
        return None
    return f"{kind or '*'}/{name or '*'}"


def _target_of_file(rel: str, limit: int) -> str:
    """The object a strategic-merge patch file patches (its kind and name)."""
    try:
        docs = load_documents(decode(read_regular(rel, rel, limit), rel))
    except (InputError, YamlError):
        return "its target"
    targets = [
        f"{d.value.get('kind')}/{(d.value.get('metadata') or {}).get('name')}"
        for d in docs
        if isinstance(d.value, dict)
        and isinstance(d.value.get("metadata"), dict)
        and d.value.get("kind")
    ]
    return ", ".join(targets) or "its target"
