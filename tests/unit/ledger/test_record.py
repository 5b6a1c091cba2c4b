"""How a run becomes a ledger row and blobs: the same bytes whether built from the report's
models or from its JSON dump, populations joined from shared pieces, the findings' order and
the source revision from git."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from compliance import pipeline
from compliance.ledger.chain import Blobs, blob_bytes, canonical
from compliance.ledger.record import (
    SourceRevision,
    _Populations,
    build_run,
    resources_of,
    run_data,
    source_revision,
)
from compliance.model.report import Report
from compliance.pipeline import PipelineOptions
from compliance.runner import RunOptions
from tests.unit.ledger.reports import report

REPO = Path(__file__).resolve().parents[3]
BPI = REPO / "examples" / "bpi"
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _built(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    body, blobs = build_run(data, resources=resources_of(data))
    return body, {d: (kind, blob_bytes(value)) for d, (kind, value) in blobs.items()}


def _check_digests(blobs: dict[str, tuple[str, bytes]]) -> None:
    for digest, (_, data) in blobs.items():
        assert hashlib.sha256(data).hexdigest() == digest


def _bpi_reports(tmp_path: Path) -> list[Report]:
    """examples/bpi cold, warm (its models rebuilt from the result cache), with waivers (one
    scoped to a control, one expired) and with a baseline."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - {check: CTR-01, resource: '*', controls: ['soc2:CC6.8'], reason: pinned,"
        " approved_by: a@b.c, expires: 2026-12-31}\n"
        "  - {check: NET-02, resource: '*node.toml', reason: bastion, approved_by: a@b.c,"
        " expires: '2027-03-01'}\n"
        "  - {check: RES-01, resource: '*', reason: old, approved_by: a@b.c,"
        " expires: '2026-01-01'}\n"
    )

    def run(**kwargs: Any) -> Report:
        options = {"cache": False, "cache_dir": tmp_path / "cache", "fail_on": "none", **kwargs}
        return pipeline.run(
            PipelineOptions(paths=[str(BPI)], run=RunOptions(now=NOW), **options)
        ).report

    cold = run()
    run(cache=True)
    warm = run(cache=True)
    waived = run(waivers_file=waivers)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(cold.model_dump(mode="json")))
    with_baseline = run(baseline_file=baseline)
    assert any(f.waiver for f in waived.findings)
    assert any(f.waived_controls for f in waived.findings)
    assert any(f.baseline == "unchanged" for f in with_baseline.findings)
    return [cold, warm, waived, with_baseline]


def test_a_run_built_from_the_models_is_the_run_built_from_the_json_dump(
    tmp_path: Path,
) -> None:
    for r in _bpi_reports(tmp_path):
        dumped = r.model_dump(mode="json")
        want_body, want_blobs = _built(dumped)
        got_body, got_blobs = _built(run_data(r))
        assert canonical(got_body) == canonical(want_body)
        assert got_blobs == want_blobs
        _check_digests(got_blobs)
        assert got_body["counts"]["findings"] == len(r.findings) > 0
        # the models are left as they were
        assert r.model_dump(mode="json") == dumped


def _population_blob(population: dict[str, list[Any]]) -> bytes:
    """A population blob by its definition: canonical JSON of the sorted lists."""
    return canonical({check: sorted(ids) for check, ids in population.items()})


def test_population_blobs_joined_from_shared_pieces_are_their_canonical_json() -> None:
    shared = ["k8s:b", "k8s:a", 'quote"d', "é-ünïcode", "k8s:a"]  # unsorted, a duplicate
    other = ["z", "y"]
    populations: list[dict[str, list[Any]]] = [
        {"NET-02": shared, "CTR-01": other},
        {"NET-02": shared},
        {"CTR-01": other, "EMPTY": [], "NET-02": shared, 'ch"eck\\é': ["x"]},
        {"EMPTY": [], "AAA": ["only"]},
        {"AAA": [], "BBB": ["after an empty list"]},
        {"NET-02": list(shared), "CTR-01": ["y", "z"]},  # equal lists, other objects
        {"NET-02": ["k8s:a"]},  # another list for a check seen before
        {"NUM": [2, 1]},
        {"NUM": [2.0, 1.0]},  # equal to the list before, but not the same JSON
        {},
    ]
    pops = _Populations()
    blobs: Blobs = {}
    union: dict[str, set[str]] = {}
    for population in populations:
        digest, count = pops.put(blobs, population)
        data = blob_bytes(blobs[digest][1])
        assert data == _population_blob(population)
        assert digest == hashlib.sha256(data).hexdigest()
        assert count == sum(len(ids) for ids in population.values())
        for check, ids in population.items():
            union.setdefault(check, set()).update(ids)
    assert pops.by_check == union
    assert shared == ["k8s:b", "k8s:a", 'quote"d', "é-ünïcode", "k8s:a"]  # not sorted in place


def test_findings_that_share_a_fingerprint_are_ordered_by_check_and_resource() -> None:
    data = report("2026-11-01")
    net, tls = data["findings"]
    twin = {**net, "check_id": "AAA-01", "resource": dict(tls["resource"])}
    data["findings"] = [tls, net, twin]
    body, blobs = _built(data)
    findings = json.loads(blobs[body["findings"]][1])
    assert [(f["fingerprint"], f["check_id"]) for f in findings] == [
        ("f-net", "AAA-01"),
        ("f-net", "NET-02"),
        ("f-tls", "TLS-01"),
    ]


def test_inputs_keep_only_their_four_fields() -> None:
    data = report("2026-11-01")
    plain = data["inputs"][0]
    data["inputs"] = [plain, {**plain, "file": "b.yaml", "extra": "dropped"}]
    body, blobs = _built(data)
    assert json.loads(blobs[body["inputs"]][1]) == [plain, {**plain, "file": "b.yaml"}]


def _git(where: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(where), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_source_revision_is_the_commit_and_whether_the_paths_changed(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / "k8s" / "a.yaml").write_text("a: 1\n")
    (repo / "other.txt").write_text("x\n")
    _git(repo, "init", "-q")
    assert source_revision([str(repo / "k8s")]) is None  # before the first commit
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "one")
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    clean = {"commit": head, "dirty": False}
    assert source_revision([str(repo / "k8s")]) == clean
    assert source_revision([str(repo / "k8s" / "a.yaml"), "-"]) == clean
    (repo / "other.txt").write_text("changed\n")  # outside the evaluated paths
    assert source_revision([str(repo / "k8s")]) == clean
    (repo / "k8s" / "a.yaml").write_text("a: 2\n")
    assert source_revision([str(repo / "k8s")]) == {"commit": head, "dirty": True}
    _git(repo, "checkout", "-q", "--", "k8s")
    (repo / "k8s" / "new.yaml").write_text("b: 1\n")  # untracked
    assert SourceRevision([str(repo / "k8s")]).result() == {"commit": head, "dirty": True}
    outside = tmp_path / "plain"
    outside.mkdir()
    assert source_revision([str(outside)]) is None
    assert source_revision(["-"]) is None and source_revision([]) is None


def test_canonical_json_writes_keys_that_are_not_strings_as_strings() -> None:
    import datetime

    import orjson

    def both_modes(value: Any) -> bytes:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)

    values: list[Any] = [
        {"b": 1, "a": {"z": [1, 2.5], "y": None}, "é": "ü"},
        {1: "x", "a": 2},
        {"k": {2: 3, 1: 4}},
        [{datetime.date(2026, 1, 1): True}],
    ]
    for value in values:
        assert canonical(value) == both_modes(value)
    assert canonical({"k": {2: 3, 1: 4}}) == b'{"k":{"1":4,"2":3}}'
    with pytest.raises(TypeError):
        canonical({"a": object()})
