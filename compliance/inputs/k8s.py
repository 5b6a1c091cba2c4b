"""Kubernetes objects from YAML/JSON documents (multi-document files and ``List`` kinds)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compliance.errors import InputError
from compliance.inputs.base import FileContext, LoadOptions
from compliance.inputs.k8s_service import service_facts
from compliance.inputs.secret_values import secret_values
from compliance.inputs.yamlutil import Document
from compliance.model import Resource
from compliance.model.k8s import CLUSTER_SCOPED
from compliance.secrets.collect import add_secret_data, mark_shapes

POD_SPEC_PATHS: dict[str, str] = {
    "Pod": "spec",
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "ReplicationController": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
    "PodTemplate": "template.spec",
}


def load_document(doc: Document, ctx: FileContext) -> list[Resource]:
    value = without_nulls(doc.value) if doc.nulls else doc.value
    kind = value.get("kind")
    items = value.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        out: list[Resource] = []
        by_item = _lines_by_item(doc.lines)
        for i, item in enumerate(items):
            prefix = f"items[{i}]"
            lines = by_item.get(prefix, {})
            line = doc.lines.get(prefix, doc.line)
            if not (isinstance(item, dict) and "apiVersion" in item and "kind" in item):
                raise InputError(
                    f"{kind} item {i} is not a Kubernetes object", file=ctx.rel, line=line
                )
            out.append(_resource(item, line, None, lines, ctx))
        return out
    return [_resource(value, doc.line, doc.end_line, doc.lines, ctx)]


def _lines_by_item(lines: dict[str, int]) -> dict[str, dict[str, int]]:
    """``items[N].rest`` -> line, grouped by ``items[N]`` with ``rest`` as the key, in one
    pass over a List's lines (filtering them once per item is quadratic). The prefix ends
    at the first ``]``: no item index holds one, so ``items[1]`` never takes ``items[10]``'s."""
    grouped: dict[str, dict[str, int]] = {}
    for key, line in lines.items():
        if key.startswith("items["):
            close = key.find("]", 6)
            if close > 0 and key[close + 1 : close + 2] == ".":
                grouped.setdefault(key[: close + 1], {})[key[close + 2 :]] = line
    return grouped


def without_nulls(value: Any) -> Any:
    """``value`` without the mapping keys whose value is null, at any depth: Kubernetes takes
    a field left empty (``ports:``, ``securityContext:``) as unset, and so do the checks.
    Null list items stay (the API server refuses them; a check that cannot take one makes
    the resource an error of its file)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def resource_from_object(obj: dict[str, Any], file: str, line: int = 1) -> Resource:
    """One Kubernetes object already parsed (e.g. from an AdmissionReview) as a Resource,
    its fields left null unset as in a file (``without_nulls``)."""
    ctx = FileContext(Path(file), file, LoadOptions())
    resource = _resource(without_nulls(obj), line, None, {}, ctx)
    mark_shapes([resource])
    return resource


def _resource(
    obj: dict[str, Any], line: int, end_line: int | None, lines: dict[str, int], ctx: FileContext
) -> Resource:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        raise InputError("apiVersion and kind must be strings", file=ctx.rel, line=line)
    metadata = obj.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise InputError(f"{kind}: metadata must be a mapping", file=ctx.rel, line=line)
    name = metadata.get("name") or metadata.get("generateName") or ""
    if not isinstance(name, str) or not name:
        raise InputError(f"{kind} without metadata.name", file=ctx.rel, line=line)
    namespace = metadata.get("namespace")
    if kind in CLUSTER_SCOPED:
        namespace = None
    elif namespace is not None:
        namespace = str(namespace)
    scope = f"{namespace}/{name}" if namespace else name
    return ctx.resource(
        id=f"k8s:{api_version}/{kind}:{scope}",
        kind=kind,
        name=name,
        namespace=namespace,
        format="k8s",
        line=line,
        end_line=end_line,
        body=obj,
        facts=_facts(obj, kind),
        lines=lines,
    )


def pod_spec(obj: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]] | None:
    path = POD_SPEC_PATHS.get(kind)
    if path is None:
        return None
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return (path, node) if isinstance(node, dict) else None


CONTROL_PLANE = ("kube-apiserver", "kubelet", "etcd")
"""Binaries whose command-line flags the checks judge (``lib.runs`` in Rego)."""


def _facts(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "Service":
        return service_facts(obj)
    if kind == "Secret":
        return {"secret_values": secret_values(obj)}
    found = pod_spec(obj, kind)
    if found is None:
        return {}
    path, spec = found
    containers = []
    runs: dict[str, bool] = {}
    flags: dict[str, bool] = {}
    for field, role in (
        ("initContainers", "init"),
        ("containers", "app"),
        ("ephemeralContainers", "ephemeral"),
    ):
        for i, c in enumerate(spec.get(field) or []):
            if isinstance(c, dict):
                fact = {
                    "name": c.get("name", ""),
                    "image": c.get("image", ""),
                    "role": role,
                    "field": field,
                    "index": i,
                    "path": f"{path}.{field}[{i}]",
                }
                if c.get("env") or c.get("envFrom"):
                    fact["env"] = True
                containers.append(fact)
                _command_facts(c, runs, flags)
    out: dict[str, Any] = {"pod_spec_path": path, "containers": containers}
    if runs:
        out["control_plane"] = runs
    if flags:
        out["flags"] = flags
    return out


def _command_facts(
    container: dict[str, Any], runs: dict[str, bool], flags: dict[str, bool]
) -> None:
    """Add the control-plane binaries a container runs (a word of its command line that is
    the binary or a path to it) and the names of the ``--flags`` it passes (never values)."""
    words = [
        w
        for part in ("command", "args")
        if isinstance(container.get(part), list)
        for w in container[part]
        if isinstance(w, str)
    ]
    for word in words:
        if word.startswith("--"):
            name = word[2:].partition("=")[0]
            if name:
                flags[name] = True
        elif not word.startswith("-"):
            base = word.rpartition("/")[2]
            if base in CONTROL_PLANE:
                runs[base] = True


class KubernetesLoader:
    """Kubernetes objects: a YAML/JSON document with ``apiVersion`` and ``kind``."""

    format = "k8s"
    formats: Mapping[str, str] = {
        "k8s": "Kubernetes YAML/JSON (multi-document, List): apiVersion + kind"
    }

    def claims_document(self, value: Any) -> bool:
        return isinstance(value, dict) and "apiVersion" in value and "kind" in value

    def load_document(self, doc: Document, ctx: FileContext) -> list[Resource]:
        return load_document(doc, ctx)

    def dependencies(self, resource: Resource) -> Iterable[str]:
        return ()

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        """A Secret's ``data`` (and each value decoded) and ``stringData``."""
        if resource.kind == "Secret":
            add_secret_data(resource.body, values)


LOADER = KubernetesLoader()
