"""Baselines: a previous JSON report whose findings are accepted as known.

Findings are matched by fingerprint (check, resource id, field path, message), never by line,
so editing a file above a known finding does not make it new. Known findings are marked
``baseline: unchanged`` and do not count for ``--fail-on``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from compliance.errors import UsageError
from compliance.model import Report


@dataclass(frozen=True)
class Baseline:
    source: str
    fingerprints: frozenset[str]


def load_baseline(path: Path) -> Baseline:
    """Fingerprints of every finding (open or waived) in a JSON report written by ``--format json``."""
    name = str(path)
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as e:
        raise UsageError(f"cannot read baseline: {e.strerror}", file=name) from e
    except orjson.JSONDecodeError as e:
        raise UsageError(f"baseline is not JSON: {e}", file=name) from e
    if (
        not isinstance(data, dict)
        or data.get("schema_version") != 1
        or not isinstance(data.get("findings"), list)
    ):
        raise UsageError(
            "baseline is not a compliance JSON report (schema_version 1 with findings)", file=name
        )
    fingerprints = set()
    for i, item in enumerate(data["findings"]):
        fp = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fp, str) or not fp:
            raise UsageError(f"baseline findings[{i}] has no fingerprint", file=name)
        fingerprints.add(fp)
    return Baseline(name, frozenset(fingerprints))


def apply_baseline(report: Report, baseline: Baseline) -> Report:
    """Mark each finding new or unchanged; ``extra["baseline"]`` counts new, unchanged, fixed."""
    findings = [
        f.model_copy(
            update={"baseline": "unchanged" if f.fingerprint in baseline.fingerprints else "new"}
        )
        for f in report.findings
    ]
    seen = {f.fingerprint for f in report.findings}
    unchanged = sum(1 for f in findings if f.baseline == "unchanged")
    summary = {
        "source": baseline.source,
        "new": len(findings) - unchanged,
        "unchanged": unchanged,
        "fixed": len(baseline.fingerprints - seen),
    }
    return report.model_copy(
        update={"findings": findings, "extra": {**report.extra, "baseline": summary}}
    )
