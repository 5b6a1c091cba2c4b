"""Dotted field paths (``spec.containers[0].image``) and the lines they map to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def dotted(loc: Iterable[int | str]) -> str:
    """A pydantic error location (``("security", "roles", 0, "name")``) as a dotted path."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def nearest_line(lines: Mapping[str, int], path: str | None) -> int | None:
    """Line of ``path`` or of its nearest recorded ancestor; None when none is recorded."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
