"""The names of inputs inside an evidence bundle: what the bundle writes and what reports
(OSCAL's links to the redacted copies) point to."""

from __future__ import annotations

import posixpath

STDIN_MEMBER = "inputs/%stdin.yaml"


def input_member(rel: str) -> str:
    """A safe archive name for an input path, one to one: no absolute or parent components,
    and no two inputs share a name. ``%`` escapes what cannot be kept as written: a literal
    ``%`` is ``%25``, ``..`` is ``%2E%2E``, ``\\`` is ``%5C``, a leading ``/`` is a first
    component ``%2F``, and stdin (``-``) is ``inputs/%stdin.yaml``."""
    if rel == "-":
        return STDIN_MEMBER
    escaped = rel.replace("%", "%25").replace("\\", "%5C")
    parts = ["%2F"] if escaped.startswith("/") else []
    for part in escaped.split("/"):
        if part in ("", "."):
            continue
        parts.append("%2E%2E" if part == ".." else part)
    return posixpath.join("inputs", *parts) if parts else "inputs/%unnamed"
