"""OSCAL as consumers read it: compliance-trestle's count of satisfied and not-satisfied
controls is ours, the controls without a verdict are observations with their reason, and in
the evidence bundle every reference resolves: results -> assessment plan -> system security
plan -> profile -> one catalog per pack (resolved with trestle's own profile resolver)."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from trestle.core.profile_resolver import ProfileResolver
from trestle.oscal import assessment_plan, assessment_results, catalog, profile, ssp

from compliance.evidence.bundle import build_bundle
from compliance.formats import oscal, oscal_plan
from compliance.model import Report
from compliance.model.waiver import AppliedWaiver
from compliance.runner import RunOptions, load_inputs
from tests.conftest import applied
from tests.unit.formats.conftest import NOW, ROOT, Evaluate

MODELS = {
    "assessment-results.json": assessment_results.Model,
    "assessment-plan.json": assessment_plan.Model,
    "system-security-plan.json": ssp.Model,
    "profile.json": profile.Model,
}


def waive_ctr(f: Any) -> AppliedWaiver | None:
    return applied("CTR-01", "accepted") if f.check_id == "CTR-01" else None


@pytest.fixture
def bpi(evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(ROOT)
    return evaluate("examples/bpi", waive=waive_ctr)


@pytest.fixture
def report(bpi: Report) -> Report:
    """examples/bpi with CTR-01 waived, and every status there is: one control each turned
    ``not_assessed``, ``not_applicable``, ``error`` and ``waived`` (statuses a run can give)."""
    base = bpi
    plain = [i for i, c in enumerate(base.controls) if c.status in ("pass", "fail")]
    assert len(plain) >= 6
    turned = {
        plain[0]: "not_assessed",
        plain[1]: "not_applicable",
        plain[2]: "error",
        plain[3]: "waived",
    }
    controls = [
        c.model_copy(update={"status": turned[i]}) if i in turned else c
        for i, c in enumerate(base.controls)
    ]
    statuses = Counter(c.status for c in controls)
    assert {"pass", "fail", "waived", "manual", "not_assessed", "not_applicable", "error"} <= set(
        statuses
    ), statuses
    return base.model_copy(update={"controls": controls})


def test_trestle_counts_what_we_count(report: Report) -> None:
    parsed = assessment_results.Model.model_validate_json(oscal.render(report))
    result = parsed.assessment_results.results[0]
    states = Counter(f.target.status.state.value for f in result.findings or [])
    ours = Counter(c.status for c in report.controls)
    assert states["satisfied"] == ours["pass"]
    assert states["not-satisfied"] == ours["fail"] + ours["error"] + ours["waived"]
    assert sum(states.values()) == len(report.controls) - sum(
        ours[s] for s in ("not_assessed", "not_applicable", "manual")
    )


def test_controls_without_a_verdict_are_observations_with_the_reason(report: Report) -> None:
    result = oscal.build(report)["assessment-results"]["results"][0]
    targets = {f["target"]["target-id"] for f in result["findings"]}
    by_control = {}
    for o in result["observations"]:
        props = {p["name"]: p["value"] for p in o["props"]}
        if "control-status" in props:
            by_control[(props["pack"], props["control-id"])] = (props["control-status"], o)
    for c in report.controls:
        objective = oscal_plan.objective_id(c.pack, c.control_id)
        if c.status in ("not_assessed", "not_applicable", "manual"):
            status, obs = by_control[(c.pack, c.control_id)]
            assert status == c.status and objective not in targets
            assert obs["description"].endswith(oscal.NO_VERDICT[c.status])
            assert obs["links"] == [
                {
                    "href": f"catalogs/{c.pack}.json#{oscal.control_token(c.pack, c.control_id)}",
                    "rel": "reference",
                }
            ]
        else:
            assert objective in targets and (c.pack, c.control_id) not in by_control


def test_every_document_is_valid_oscal(report: Report) -> None:
    docs = {name: oscal_plan.dumps(doc) for name, doc in oscal_plan.documents(report).items()}
    docs["assessment-results.json"] = oscal.render(report).encode()
    catalogs = [n for n in docs if n.startswith("catalogs/")]
    assert sorted(catalogs) == sorted(f"catalogs/{p.name}.json" for p in report.packs)
    for name, data in docs.items():
        model = MODELS.get(name, catalog.Model)
        model.model_validate_json(data)
        doc = json.loads(data)
        assert next(iter(doc.values()))["metadata"]["oscal-version"] == oscal_plan.OSCAL_VERSION


def _bundle_oscal(report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    loaded = load_inputs(["examples/bpi"], RunOptions(now=NOW).load)
    bundle = build_bundle(report, loaded, Ed25519PrivateKey.generate())
    out = tmp_path / "workspace"
    (out / ".trestle").mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.name.startswith("oscal/"):
                target = out / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                data = tar.extractfile(member)
                assert data is not None
                target.write_bytes(data.read())
    return out


def test_every_reference_resolves_in_the_bundle(
    bpi: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = bpi
    workspace = _bundle_oscal(report, tmp_path, monkeypatch)
    folder = workspace / "oscal"

    def load(name: str) -> dict[str, Any]:
        doc: dict[str, Any] = next(iter(json.loads((folder / name).read_text()).values()))
        return doc

    ar = load("assessment-results.json")
    ap = load(ar["import-ap"]["href"])
    plan = load(ap["import-ssp"]["href"])
    assert (folder / plan["import-profile"]["href"]).is_file()

    with contextlib.chdir(folder):  # the profile's catalog hrefs are relative to it
        resolved = ProfileResolver.get_resolved_profile_catalog(
            workspace, str(folder / plan["import-profile"]["href"])
        )
    controls = list(resolved.controls or []) + [
        c for g in resolved.groups or [] for c in g.controls or []
    ]
    ids = {c.id for c in controls}
    objectives = {p.id for c in controls for p in c.parts or [] if p.name == "objective"}
    labels = {(c.id, p.value) for c in controls for p in c.props or [] if p.name == "label"}
    assert len(ids) == len(controls) == len(report.controls)
    assert labels == {
        (oscal.control_token(c.pack, c.control_id), c.control_id) for c in report.controls
    }

    result = ar["results"][0]
    reviewed = {
        i["control-id"]
        for s in result["reviewed-controls"]["control-selections"]
        for i in s["include-controls"]
    }
    planned = {
        i["control-id"]
        for s in ap["reviewed-controls"]["control-selections"]
        for i in s["include-controls"]
    }
    implemented = {
        r["control-id"] for r in plan["control-implementation"]["implemented-requirements"]
    }
    assert reviewed == planned == implemented == ids
    assert {f["target"]["target-id"] for f in result["findings"]} <= objectives
    for o in result["observations"]:
        for link in o.get("links", []):
            member, _, anchor = link["href"].partition("#")
            assert (folder / member).is_file() and anchor in ids


def test_same_run_same_documents(report: Report) -> None:
    assert oscal_plan.documents(report) == oscal_plan.documents(report)
    first = {k: oscal_plan.dumps(v) for k, v in oscal_plan.documents(report).items()}
    assert first == {k: oscal_plan.dumps(v) for k, v in oscal_plan.documents(report).items()}
