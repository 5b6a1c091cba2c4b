"""The JSON report: the stable contract (DESIGN.md section 6)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from compliance.model import Report


def encode(report: Report) -> bytes:
    """The report's JSON as UTF-8 bytes: orjson over the models' fields (2-space indent,
    shortest floats, keys in field order), the bytes ``orjson.dumps(report.model_dump(
    mode="json"))`` gives without a dump of every finding first
    (tests/unit/formats/test_json.py holds it to that)."""
    return orjson.dumps(
        report,
        default=_fields,
        option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME,
    )


def render(report: Report) -> str:
    return encode(report).decode()


def _fields(value: Any) -> Any:
    """A report model's fields, in order (the report models have no aliases, computed
    fields or custom serializers); any other value orjson does not write as pydantic
    would (dates and times, sets, paths in ``extra``) as pydantic's JSON value."""
    if isinstance(value, BaseModel):
        return value.__dict__
    return to_jsonable_python(value)
