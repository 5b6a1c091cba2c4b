"""Output formats: one module per format, registered in ``FORMATS``."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from compliance.model import Report

Renderer = Callable[[Report], str]

FORMATS: dict[str, str] = {
    "table": "compliance.formats.table",
    "json": "compliance.formats.json",
    "sarif": "compliance.formats.sarif",
    "junit": "compliance.formats.junit",
    "html": "compliance.formats.html",
    "markdown": "compliance.formats.markdown",
    "oscal": "compliance.formats.oscal",
}
"""Format name -> module exposing ``render(report) -> str``."""


def renderer(name: str) -> Renderer:
    module = import_module(FORMATS[name])
    render: Renderer = module.render
    return render


def rendered(name: str, report: Report) -> str | bytes:
    """The report in format ``name``: UTF-8 bytes where the format's module writes bytes
    itself (``encode``: JSON, whose report of tens of MB is then never decoded to text and
    encoded back), else its text."""
    module = import_module(FORMATS[name])
    encode: Callable[[Report], bytes] | None = getattr(module, "encode", None)
    if encode is not None:
        return encode(report)
    return renderer(name)(report)
