"""pydantic models shared by loaders, engines, the evaluator and every output."""

from compliance.models.pack import CheckMeta, Control, Pack
from compliance.models.report import (
    SEVERITIES,
    ControlResult,
    Finding,
    PackRef,
    Report,
    ResourceRef,
    Severity,
    Summary,
)
from compliance.models.resource import LoadError, Resource, Source
from compliance.models.securityconfig import SecurityConfig

__all__ = [
    "SEVERITIES",
    "CheckMeta",
    "Control",
    "ControlResult",
    "Finding",
    "LoadError",
    "Pack",
    "PackRef",
    "Report",
    "Resource",
    "ResourceRef",
    "SecurityConfig",
    "Severity",
    "Source",
    "Summary",
]
