"""Kubernetes ``AdmissionReview`` v1 on the wire (admission.k8s.io/v1), as frozen pydantic models.

Only the fields the webhook reads are modelled; everything else the API server sends is ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
MAX_WARNINGS = 20
MAX_WARNING_CHARS = 256
"""The API server truncates longer warnings; keep each readable and the set bounded."""

Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class GroupVersionKind(_Wire):
    group: str = ""
    version: str = ""
    kind: str = ""


class GroupVersionResource(_Wire):
    group: str = ""
    version: str = ""
    resource: str = ""


class UserInfo(_Wire):
    username: str = ""
    uid: str = ""
    groups: list[str] = Field(default_factory=list)


class AdmissionRequest(_Wire):
    uid: str = Field(min_length=1)
    kind: GroupVersionKind
    resource: GroupVersionResource = Field(default_factory=GroupVersionResource)
    sub_resource: str = Field(default="", alias="subResource")
    name: str = ""
    namespace: str = ""
    operation: Operation
    user_info: UserInfo = Field(default_factory=UserInfo, alias="userInfo")
    object: dict[str, Any] | None = None
    old_object: dict[str, Any] | None = Field(default=None, alias="oldObject")
    dry_run: bool = Field(default=False, alias="dryRun")


class AdmissionReview(_Wire):
    api_version: Literal["admission.k8s.io/v1"] = Field(alias="apiVersion")
    kind: Literal["AdmissionReview"]
    request: AdmissionRequest


class Status(_Wire):
    code: int | None = None
    message: str = ""
    reason: str | None = None


class AdmissionResponse(_Wire):
    uid: str
    allowed: bool
    status: Status | None = None
    warnings: list[str] | None = None


class AdmissionReviewResponse(_Wire):
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = KIND
    response: AdmissionResponse

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class MalformedReview(ValueError):
    """The body is not an AdmissionReview v1 the webhook can answer."""


def parse_review(data: Any) -> AdmissionReview:
    """Validate a decoded JSON body; raises MalformedReview naming the first bad field."""
    if not isinstance(data, dict):
        raise MalformedReview("body must be a JSON object (an AdmissionReview)")
    try:
        review = AdmissionReview.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise MalformedReview(f"not an AdmissionReview v1: {where}: {first['msg']}") from e
    request = review.request
    if request.operation in ("CREATE", "UPDATE") and request.object is None:
        raise MalformedReview(f"request.object is required for {request.operation}")
    for field, obj in (("object", request.object), ("oldObject", request.old_object)):
        if obj is not None and not (
            isinstance(obj.get("apiVersion"), str) and isinstance(obj.get("kind"), str)
        ):
            raise MalformedReview(
                f"request.{field} must be a Kubernetes object with apiVersion and kind"
            )
    return review


def bounded_warnings(messages: list[str]) -> list[str]:
    out = [m if len(m) <= MAX_WARNING_CHARS else m[: MAX_WARNING_CHARS - 1] + "…" for m in messages]
    if len(out) > MAX_WARNINGS:
        extra = len(out) - (MAX_WARNINGS - 1)
        out = [
            *out[: MAX_WARNINGS - 1],
            f"compliance: {extra} more findings (see the decision log)",
        ]
    return out
