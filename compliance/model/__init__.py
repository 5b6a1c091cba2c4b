"""pydantic models shared by loaders, engines, the evaluator and every output."""

from compliance.model.pack import CheckMeta, Control, Pack
from compliance.model.report import (
    SEVERITIES,
    ControlResult,
    Finding,
    PackRef,
    Report,
    ResourceRef,
    Severity,
    Summary,
)
from compliance.model.resource import LoadError, Resource, Source
from compliance.model.securityconfig import SecurityConfig

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
