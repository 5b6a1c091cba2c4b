"""Where each check and control is assessed: clouds and input kinds, and the crosswalk.

A check assesses the resource kinds its METADATA lists (``kinds``); each kind belongs to one
platform (a cloud provider by its Terraform prefix, Kubernetes, compose, Dockerfile, the
application's SecurityConfig). A control is assessed wherever one of its checks is. The
crosswalk (``policies/crosswalk.csv``) is this table per check with the control ids each
pack maps it to; ``compliance packs crosswalk`` writes it and a test keeps the file equal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from compliance.model import CheckMeta, Pack

PLATFORMS = (
    "AWS",
    "Azure",
    "GCP",
    "Terraform",
    "Kubernetes",
    "compose",
    "Dockerfile",
    "SecurityConfig",
)
"""Display order. ``Terraform`` is a provider-neutral Terraform kind (``terraform_variable``)."""

_PREFIXES = (("aws_", "AWS"), ("azurerm_", "Azure"), ("azuread_", "Azure"), ("google_", "GCP"))
_FIXED = {
    "ComposeService": "compose",
    "Dockerfile": "Dockerfile",
    "SecurityConfig": "SecurityConfig",
    "terraform_variable": "Terraform",
}

NOT_ASSESSED: dict[str, str] = {
    "Alibaba Cloud": "no check reads alicloud_* resources",
    "Oracle Cloud": "no check reads oci_* resources",
    "IBM Cloud": "no check reads ibm_* resources",
    "DigitalOcean": "no check reads digitalocean_* resources",
    "Helm templates": "skipped; evaluate `helm template` output instead",
}
"""Platforms the library does not assess: their resources load and stay ``not_assessed``."""


def platform_of_kind(kind: str) -> str:
    """The platform a resource kind belongs to (Kubernetes for any other CamelCase kind)."""
    if kind in _FIXED:
        return _FIXED[kind]
    bare = kind.removeprefix("data.")
    for prefix, platform in _PREFIXES:
        if bare.startswith(prefix):
            return platform
    return "Terraform" if "_" in kind and kind.islower() else "Kubernetes"


def platforms(kinds: Iterable[str]) -> list[str]:
    """The platforms of ``kinds`` in display order."""
    found = {platform_of_kind(k) for k in kinds}
    return [p for p in PLATFORMS if p in found]


def not_assessed_on(assessed: Iterable[str]) -> list[str]:
    """The platforms (besides provider-neutral Terraform) missing from ``assessed``, then
    the platforms no check assesses at all."""
    have = set(assessed)
    return [p for p in PLATFORMS if p != "Terraform" and p not in have] + list(NOT_ASSESSED)


def check_kinds(checks: Iterable[str], library_checks: dict[str, CheckMeta]) -> list[str]:
    """Every kind the named checks read, sorted (unknown check ids read nothing)."""
    return sorted({k for c in checks if c in library_checks for k in library_checks[c].kinds})


def crosswalk_rows(
    library_checks: dict[str, CheckMeta], packs: Sequence[Pack]
) -> list[dict[str, str]]:
    """One row per check: id, title, severity, per pack the control ids mapping it
    (``;``-separated, in pack order), the platforms and the kinds it reads."""
    rows = []
    for check_id in sorted(library_checks):
        meta = library_checks[check_id]
        row = {"check_id": check_id, "title": meta.title, "severity": meta.severity}
        for pack in sorted(packs, key=lambda p: p.name):
            row[pack.name] = ";".join(c.id for c in pack.controls if check_id in c.checks)
        row["platforms"] = ";".join(platforms(meta.kinds))
        row["kinds"] = ";".join(sorted(meta.kinds))
        rows.append(row)
    return rows


def crosswalk_csv(library_checks: dict[str, CheckMeta], packs: Sequence[Pack]) -> str:
    """The crosswalk as CSV text (the content of ``policies/crosswalk.csv``)."""
    rows = crosswalk_rows(library_checks, packs)
    names = sorted(p.name for p in packs)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=["check_id", "title", "severity", *names, "platforms", "kinds"],
        lineterminator="\n",
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
