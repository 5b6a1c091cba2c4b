"""The JSON report: the stable contract (DESIGN.md section 6)."""

from __future__ import annotations

import orjson

from compliance.models import Report


def render(report: Report) -> str:
    data = report.model_dump(mode="json")
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
