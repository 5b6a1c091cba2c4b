"""The one CSV writer of the ledger's exports (period report, SoA, population) and of the
portal's downloads: a header and rows, ``None`` as an empty cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

Table = tuple[Sequence[str], list[list[Any]]]
"""A header and its rows."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(value: Any) -> str:
    """A cell that a spreadsheet will not run as a formula: a leading ``'`` when it starts
    like one."""
    text = str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, guard: bool = False) -> str:
    """The table as CSV (``\\n`` line ends); ``guard`` quotes cells that start a formula (the
    portal's downloads, which an auditor opens in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    if guard:
        writer.writerows(["" if v is None else guarded(v) for v in row] for row in rows)
    else:
        writer.writerows(rows)  # the csv module writes None as an empty cell
    return out.getvalue()
