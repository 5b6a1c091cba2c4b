"""The JSON format: the bytes orjson writes over the report's JSON dump."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from compliance.formats.json import render
from tests.unit.formats.conftest import ROOT, Evaluate


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"text": ["é ü 中", "\u2028", '\x01\t"\\', "</script>"]},
        {"numbers": [1.5, 1e20, 0.1, 2**60, -0.0, 3, True, None]},
        {"nested": {"b": [{"z": 1, "a": 2}], "a": {}}},
        {
            "times": [
                date(2027, 1, 31),
                datetime(2027, 1, 31, 12, 30, tzinfo=UTC),
                datetime(2027, 1, 31, 12, 30, 0, 5, tzinfo=timezone(timedelta(hours=2))),
                datetime(2027, 1, 31, 12, 30),
            ],
            "other": [(1, "a"), Path("a") / "b", {"z"}],
        },
    ],
    ids=["plain", "unicode-and-control", "numbers", "nested", "times-and-other-types"],
)
def test_json_is_the_report_as_orjson_writes_it(
    evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch, extra: dict[str, object]
) -> None:
    monkeypatch.chdir(ROOT)
    report = evaluate(str(Path("examples") / "bpi"))
    assert report.findings
    report = report.model_copy(update={"extra": {**report.extra, **extra}})
    expected = orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode()
    text = render(report)
    assert text == expected + "\n"
    assert orjson.loads(text) == report.model_dump(mode="json")
    assert text == report.model_dump_json(indent=2) + "\n"  # pydantic's own serializer
