"""A waiver as it covers one finding: what the ``waive`` callback of a run returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AppliedWaiver:
    """The waiver entry that covers a finding (``source``: ``file:line`` of the entry).
    ``controls``: the ``pack:control`` ids it waives the finding for (None: every one)."""

    check: str
    resource: str
    controls: tuple[str, ...] | None
    reason: str
    approved_by: str
    expires: str
    """Last day it applies (ISO date)."""
    source: str

    def as_data(self) -> dict[str, Any]:
        """The finding's ``waiver`` in the report (JSON data, these keys in this order)."""
        return {
            "check": self.check,
            "resource": self.resource,
            "controls": None if self.controls is None else list(self.controls),
            "reason": self.reason,
            "approved_by": self.approved_by,
            "expires": self.expires,
            "source": self.source,
        }
