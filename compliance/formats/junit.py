"""JUnit XML for CI test reports: a test suite per pack, a test case per control.

``fail`` -> ``<failure>`` listing the open findings; ``error`` -> ``<error>`` with the run's
errors; ``not_assessed``, ``not_applicable`` and ``manual`` -> ``<skipped>``; ``pass`` and ``waived`` pass, the
waived findings listed in ``<system-out>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

from compliance.model import Report
from compliance.model.report import ControlResult, Finding

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SKIP_REASON = {
    "not_assessed": "not assessed: no check of this control observed anything it judges",
    "not_applicable": "not applicable: scoped out in compliance.yaml",
    "manual": "manual control: needs human evidence",
}


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _line(f: Finding) -> str:
    where = f"{f.file}:{f.line}"
    return _clean(
        f"[{f.severity}] {f.check_id} {where} {f.resource.kind}/{f.resource.name}: {f.message}"
    )


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="compliance")
    totals: Counter[str] = Counter()
    for pack in report.packs:
        controls = [c for c in report.controls if c.pack == pack.name]
        suite = ET.SubElement(
            root, "testsuite", name=pack.name, timestamp=report.evaluated_at, time="0"
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("framework", pack.framework),
            ("version", pack.version),
            ("digest", pack.digest),
            ("engine", report.engine.get("name", "")),
        ):
            ET.SubElement(props, "property", name=name, value=_clean(value))
        counts: Counter[str] = Counter(tests=len(controls))
        for control in controls:
            outcome = _testcase(suite, control, report)
            if outcome:
                counts[outcome] += 1
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
        totals.update(counts)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, control: ControlResult, report: Report) -> str | None:
    key = f"{control.pack}:{control.control_id}"
    case = ET.SubElement(
        suite,
        "testcase",
        classname=control.pack,
        name=_clean(f"{control.control_id} {control.title}"),
        time="0",
    )
    mine = [f for f in report.findings if key in f.controls]
    active = [f for f in mine if f.status == "fail" and key not in f.waived_controls]
    waived = [f for f in mine if f not in active]
    outcome: str | None = None
    if control.status == "fail":
        el = ET.SubElement(
            case,
            "failure",
            type="fail",
            message=f"{len(active)} finding(s) from {', '.join(sorted({f.check_id for f in active}))}",
        )
        el.text = "\n".join(_line(f) for f in active)
        outcome = "failures"
    elif control.status == "error":
        el = ET.SubElement(
            case, "error", type="error", message="a check of this control failed to run"
        )
        el.text = "\n".join(_clean(f"{e.file}:{e.line or ''} {e.message}") for e in report.errors)
        outcome = "errors"
    elif control.status in SKIP_REASON:
        ET.SubElement(case, "skipped", message=SKIP_REASON[control.status])
        outcome = "skipped"
    if waived:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            _line(f) + f" (waived: {_clean(str((f.waiver or {}).get('reason', '')))})"
            for f in waived
        )
    return outcome
