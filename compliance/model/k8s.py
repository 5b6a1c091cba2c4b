"""Kubernetes facts the model and the evaluation share."""

from __future__ import annotations

CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "Node",
        "IngressClass",
        "RuntimeClass",
    }
)
"""Kinds of cluster-scoped Kubernetes objects: their ids and scopes name no namespace."""
