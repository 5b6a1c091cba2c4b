"""The JSON report: the stable contract (DESIGN.md section 6)."""

from __future__ import annotations

from typing import Any

import orjson

from compliance.model import Report


def render(report: Report) -> str:
    # pydantic's serializer writes the same bytes as orjson over model_dump (2-space
    # indent, UTF-8, shortest floats; tests/unit/formats/test_json.py holds it to that)
    # in half the time for reports of thousands of findings.
    return report.model_dump_json(indent=2) + "\n"


def render_data(data: dict[str, Any]) -> bytes:
    """``render`` of the report whose JSON data (``model_dump(mode="json")``) is ``data``,
    encoded: the same bytes, without a model per finding (nor a decode and an encode of
    megabytes of text)."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
