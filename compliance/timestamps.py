"""The one way this program writes a moment: RFC 3339, UTC, whole seconds (``...Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC as ``YYYY-MM-DDTHH:MM:SSZ`` (a naive datetime is taken as local
    time, as ``astimezone`` does)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
