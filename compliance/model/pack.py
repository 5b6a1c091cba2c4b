"""Pack manifests (controls -> checks) and check metadata."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Evidence = Literal["automated", "partial", "manual"]
Scope = Literal["resource", "namespace", "global"]
"""What a check's verdict on one resource may depend on (``custom.scope``):

- ``resource``: that resource alone (plus ``input.params`` and ``input.now``);
- ``namespace``: the resources of its group: its Kubernetes namespace for a namespaced
  object, its source file for anything else;
- ``global``: anything in the input (the default: always safe).

The result cache re-evaluates a changed resource's ``resource`` checks on that resource
alone and its ``namespace`` checks on its group alone (tests/packs/test_scope.py proves
each declared scope against full evaluations)."""


class CheckMeta(BaseModel):
    """From a check's ``# METADATA`` block."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    severity: Literal["info", "low", "medium", "high", "critical"]
    remediation: str = ""
    kinds: list[str] = Field(default_factory=list)
    assesses: dict[str, list[str]] = Field(default_factory=dict)
    """Per kind, the dotted paths (``body.…``, ``facts.…``; ``*`` any key or item) of the
    property the check observes there: a resource of that kind is assessed when one of
    them holds a value. A kind in ``kinds`` without an entry is assessed whenever present."""
    scope: Scope = "global"
    module: str = ""
    """Path of the Rego module that defines it, relative to ``policies/``."""


class Control(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    checks: list[str] = Field(default_factory=list)
    evidence: Evidence = "automated"
    description: str | None = None
    evidence_hint: str | None = Field(default=None, max_length=300)
    """What an auditee provides for the part of the control the checks cannot show (one
    line): required reading for ``manual`` controls, shown in the HTML and Markdown reports."""

    @field_validator("evidence_hint")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be blank (omit it instead)")
        if "\n" in value.strip() or "\r" in value:
            raise ValueError("must be one line")
        return value.strip()


ParameterType = Literal["string", "integer", "number", "boolean", "list"]


class ParameterSpec(BaseModel):
    """One pack parameter as ``policies/parameters.yaml`` declares it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ParameterType
    items: Literal["string", "integer", "number"] | None = None
    """The type of each item of a ``list``."""
    default: Any = None
    allowed: list[Any] | None = None
    """The values allowed (each item's, for a list)."""
    minimum: int | float | None = None
    maximum: int | float | None = None
    """Inclusive range of a number (each item's, for a list)."""
    nullable: bool = False
    """``null`` is a value (it turns the check's limit off)."""
    packs: list[str] | None = None
    """The packs that take it; every pack when absent."""
    checks: list[str] = Field(default_factory=list)
    description: str = ""

    def takes(self, pack: str) -> bool:
        return self.packs is None or pack in self.packs

    def describe(self) -> str:
        """What is allowed, in words: ``one of 1.0, 1.1``, ``an integer 1..65535``."""
        kind = {"string": "a string", "integer": "an integer", "number": "a number"}
        if self.type == "list":
            plural = {"string": "strings", "integer": "integers", "number": "numbers"}
            return f"a list of {self._scalar(plural[self.items or 'string'])}"
        if self.type == "boolean":
            return "true or false"
        return self._scalar(kind[self.type]) + (" or null" if self.nullable else "")

    def _scalar(self, kind: str) -> str:
        if self.allowed is not None:
            return "one of " + ", ".join(str(a) for a in self.allowed)
        if self.minimum is not None and self.maximum is not None:
            return f"{kind} {self.minimum}..{self.maximum}"
        if self.minimum is not None:
            return f"{kind} >= {self.minimum}"
        if self.maximum is not None:
            return f"{kind} <= {self.maximum}"
        return kind


class Pack(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    framework: str
    framework_version: str = ""
    version: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Defaults of the parameters it takes (from ``policies/parameters.yaml``)."""
    parameter_specs: dict[str, ParameterSpec] = Field(default_factory=dict, exclude=True)
    """Their declarations: type and allowed values or range."""
    controls: list[Control]
    digest: str = ""
    """``sha256:<hex>`` over the manifest and every Rego module it uses."""
    path: str = ""
    modules: dict[str, str] = Field(default_factory=dict, exclude=True)
    """Pack-specific Rego modules, name -> source."""

    def check_ids(self) -> set[str]:
        return {c for control in self.controls for c in control.checks}
