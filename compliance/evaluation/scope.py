"""Check scopes (``custom.scope`` in a check's METADATA): what a verdict may depend on.

See ``compliance.model.pack.Scope``. ``group_of`` is the unit of the ``namespace`` scope:
the cache re-evaluates a group's ``namespace`` checks over that group's resources alone,
and tests/packs/test_scope.py proves every declared scope against full evaluations."""

from __future__ import annotations

from compliance.model import Resource
from compliance.model.k8s import CLUSTER_SCOPED


def group_of(resource: Resource) -> str:
    """The group a ``namespace``-scoped check judges ``resource`` within.

    A namespaced Kubernetes object: its namespace (``default`` when it names none, as the
    checks' ``ns_of`` has it). A ``Namespace`` object: the namespace it declares. Any other
    resource (cluster-scoped Kubernetes objects, Dockerfiles, compose services, Terraform,
    SecurityConfig): its source file."""
    if resource.source.format == "k8s":
        if resource.kind == "Namespace":
            return f"ns:{resource.name}"
        if resource.kind not in CLUSTER_SCOPED:
            return f"ns:{resource.namespace or 'default'}"
    return f"file:{resource.source.file}"
