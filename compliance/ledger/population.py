"""The population of a period (every (run, resource, check) assessed) and its seeded samples.

Sample sizes follow a table of population-size bins, by default the one auditors commonly use
for a period's automated control population::

    1-5:all, 6-50:5, 51-250:10%, >250:25

Each entry is ``LOW-HIGH:SIZE`` or ``>LOW:SIZE`` where SIZE is ``all``, a count or a percentage
(rounded up). A sample is drawn with ``random.Random`` seeded by the seed and the control, from
the population sorted by (run time, run, resource, check), so the same seed and ledger give the
same sample.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from compliance.errors import UsageError
from compliance.ledger.csvtable import Table, csv_text

DEFAULT_SIZES = "1-5:all,6-50:5,51-250:10%,>250:25"
CSV_COLUMNS = ("run_id", "run_at", "resource_id", "check_id", "controls")


@dataclass(frozen=True)
class SizeRule:
    low: int
    high: int | None
    size: str


def parse_sizes(text: str, where: str = "--sample-sizes") -> list[SizeRule]:
    rules: list[SizeRule] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        bounds, sep, size = part.partition(":")
        try:
            if not sep:
                raise ValueError
            if bounds.startswith(">"):
                low, high = int(bounds[1:]) + 1, None
            else:
                lo, _, hi = bounds.partition("-")
                low, high = int(lo), int(hi or lo)
            size = size.strip()
            if size != "all":
                (float(size[:-1]) if size.endswith("%") else int(size))
        except ValueError as e:
            raise UsageError(
                f"{where} {part!r}: expected LOW-HIGH:SIZE or >LOW:SIZE with SIZE all, N or P%"
            ) from e
        rules.append(SizeRule(low, high, size))
    if not rules:
        raise UsageError(f"{where}: no size rules")
    return rules


def sample_size(n: int, rules: list[SizeRule]) -> int:
    for rule in rules:
        if n >= rule.low and (rule.high is None or n <= rule.high):
            if rule.size == "all":
                return n
            if rule.size.endswith("%"):
                return min(n, math.ceil(n * float(rule.size[:-1]) / 100))
            return min(n, int(rule.size))
    return n if n else 0


Pairs = dict[tuple[str, str], tuple[str, ...]]
"""(resource, check) -> the controls (``pack:id``) whose population holds it, sorted."""


@dataclass
class Population:
    rows: list[tuple[str, str, str, str, tuple[str, ...]]]
    """(run id, run time, resource id, check id, controls counting it), sorted."""
    per_run: list[dict[str, Any]]
    blocks: list[tuple[str, str, Pairs]] = field(default_factory=list)
    """The rows run by run: (run id, run time, its pairs); unchanged runs share their pairs.
    Empty when the rows were given without them."""
    _bytes: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def table(self) -> Table:
        return CSV_COLUMNS, [
            [run_id, at, resource, check, " ".join(controls)]
            for run_id, at, resource, check, controls in self.rows
        ]

    def _by_blocks(self) -> bool:
        return bool(self.blocks) and sum(len(pairs) for *_, pairs in self.blocks) == len(self.rows)

    def csv_bytes(self) -> bytes:
        """The CSV member (made once: the report's digests and the bundle both use it). Each
        distinct set of pairs is written once and each run's rows are its run cells joined
        to those lines: the bytes of the csv module's rows, whose cells are quoted one by
        one."""
        if "csv" not in self._bytes:
            if not self._by_blocks():
                self._bytes["csv"] = csv_text(*self.table()).encode()
            else:
                line = _csv_line()
                parts = [csv_text(CSV_COLUMNS, [])]
                tails: dict[int, list[str]] = {}
                for run_id, at, pairs in self.blocks:
                    lines = tails.get(id(pairs))
                    if lines is None:
                        lines = tails[id(pairs)] = [
                            line((rid, check, " ".join(keys)))
                            for (rid, check), keys in pairs.items()
                        ]
                    if lines:
                        prefix = line((run_id, at))[:-1] + ","
                        parts.append(prefix + prefix.join(lines))
                self._bytes["csv"] = "".join(parts).encode()
        return self._bytes["csv"]

    def json_bytes(self) -> bytes:
        """The JSON member (made once), each distinct set of pairs written once, as
        ``csv_bytes``: the bytes ``orjson.dumps`` gives the list of row objects."""
        if "json" not in self._bytes:
            if not self._by_blocks():
                self._bytes["json"] = orjson.dumps(
                    [
                        {
                            "run_id": r,
                            "run_at": a,
                            "resource_id": res,
                            "check_id": c,
                            "controls": list(k),
                        }
                        for r, a, res, c, k in self.rows
                    ]
                )
            else:
                tails: dict[int, list[bytes]] = {}
                parts = []
                for run_id, at, pairs in self.blocks:
                    members = tails.get(id(pairs))
                    if members is None:
                        members = tails[id(pairs)] = [
                            orjson.dumps(
                                {"resource_id": rid, "check_id": check, "controls": list(keys)}
                            )[1:]
                            for (rid, check), keys in pairs.items()
                        ]
                    if members:
                        prefix = orjson.dumps({"run_id": run_id, "run_at": at})[:-1] + b","
                        parts.append(prefix + (b"," + prefix).join(members))
                self._bytes["json"] = b"[" + b",".join(parts) + b"]"
        return self._bytes["json"]


def _csv_line() -> Callable[[Sequence[str]], str]:
    """A function that gives one row as the csv module writes it (``\\n`` line end)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def line(row: Sequence[str]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(row)
        return out.getvalue()

    return line


def pairs_of(controls: list[dict[str, Any]], blob: Any, packs: tuple[str, ...]) -> Pairs:
    """(resource, check) -> the controls (``pack:id``) whose population holds it."""
    out: dict[tuple[str, str], list[str]] = {}
    for c in controls:
        if packs and c["pack"] not in packs:
            continue
        key = f"{c['pack']}:{c['control_id']}"
        for check, ids in blob(c["population"]).items():
            for rid in ids:
                out.setdefault((rid, check), []).append(key)
    return {pair: tuple(sorted(keys)) for pair, keys in sorted(out.items())}


def build_population(
    runs: list[Any],
    blob: Any,
    packs: tuple[str, ...],
    blobs_of: Callable[[list[str]], dict[str, Any]] | None = None,
) -> Population:
    """``runs`` are ledger entries in time order; ``blob`` reads a blob by digest and
    ``blobs_of`` (when given) many at once: the population blobs of each distinct controls
    blob are then read together."""
    rows: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    per_run = []
    memo: dict[tuple[str, tuple[str, ...]], Pairs] = {}
    blocks: list[tuple[str, str, Pairs]] = []
    for entry in runs:
        digest = entry.body["controls"]
        controls = blob(digest)
        read = blob
        if blobs_of is not None and (digest, ()) not in memo:
            read = blobs_of([c["population"] for c in controls]).__getitem__
        for selection in {packs, ()}:
            if (digest, selection) not in memo:
                memo[(digest, selection)] = pairs_of(controls, read, selection)
        mine = memo[(digest, packs)]
        everything = len(memo[(digest, ())])
        recorded = entry.body.get("counts", {}).get("population")
        rows.extend((entry.id, entry.at, rid, check, keys) for (rid, check), keys in mine.items())
        blocks.append((entry.id, entry.at, mine))
        per_run.append(
            {
                "run": entry.id,
                "at": entry.at,
                "recorded": recorded,
                "extracted": everything,
                "in_report": len(mine),
                "match": recorded == everything,
                "basis": entry.body.get("population_basis"),
            }
        )
    return Population(rows, per_run, blocks)


def draw_samples(
    population: Population,
    controls: list[dict[str, Any]],
    seed: int,
    rules: list[SizeRule],
) -> list[dict[str, Any]]:
    """Per control, ``random.Random(f"{seed}:{pack:control}").sample`` of its members ordered
    by (run time, run id, resource, check)."""
    rows = population.rows
    by_control: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for key in row[4]:
            members = by_control.get(key)
            if members is None:
                by_control[key] = [i]
            else:
                members.append(i)
    # rows run by run, each run's (resource, check) sorted: the order wanted, when the runs
    # are in (time, id) order
    runs = [(r[1], r[0]) for i, r in enumerate(rows) if i == 0 or rows[i - 1][0] != r[0]]
    in_order = all(a < b for a, b in zip(runs, runs[1:], strict=False))
    out = []
    for c in controls:
        key = f"{c['pack']}:{c['control_id']}"
        members = by_control.get(key, [])
        if not in_order:
            members = sorted(
                members, key=lambda i: (rows[i][1], rows[i][0], rows[i][2], rows[i][3])
            )
        size = sample_size(len(members), rules)
        picked = random.Random(f"{seed}:{key}").sample(members, size) if size else []
        items = sorted((rows[i][1], rows[i][0], rows[i][2], rows[i][3]) for i in picked)
        out.append(
            {
                "pack": c["pack"],
                "control_id": c["control_id"],
                "population": len(members),
                "size": size,
                "items": [
                    {"run": r, "at": a, "resource": rid, "check": ch} for a, r, rid, ch in items
                ],
            }
        )
    return out


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
