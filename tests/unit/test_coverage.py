"""The crosswalk and the platforms each control is assessed on, against packs and METADATA."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.coverage import crosswalk_csv, not_assessed_on, platform_of_kind, platforms
from compliance.model import Pack
from compliance.policy.packs import (
    CheckLibrary,
    available_packs,
    load_library,
    load_pack,
    policy_root,
)

CROSSWALK = policy_root() / "crosswalk.csv"


@pytest.fixture(scope="module")
def loaded() -> tuple[CheckLibrary, list[Pack]]:
    library = load_library()
    return library, [load_pack(n, library) for n in available_packs()]


def test_crosswalk_file_is_what_the_packs_and_metadata_say(
    loaded: tuple[CheckLibrary, list[Pack]],
) -> None:
    library, packs = loaded
    assert CROSSWALK.read_text(encoding="utf-8") == crosswalk_csv(library.checks, packs), (
        "policies/crosswalk.csv disagrees with the packs or METADATA: "
        "compliance packs crosswalk > policies/crosswalk.csv"
    )


def test_every_check_and_mapping_appears_once(loaded: tuple[CheckLibrary, list[Pack]]) -> None:
    library, packs = loaded
    rows = {r["check_id"]: r for r in csv.DictReader(io.StringIO(CROSSWALK.read_text()))}
    assert set(rows) == set(library.checks)
    for pack in packs:
        for control in pack.controls:
            for check in control.checks:
                assert control.id in rows[check][pack.name].split(";"), (pack.name, control.id)
    for check, meta in library.checks.items():
        assert rows[check]["kinds"].split(";") == sorted(meta.kinds)
        assert rows[check]["severity"] == meta.severity


@pytest.mark.parametrize(
    ("kind", "platform"),
    [
        ("aws_s3_bucket", "AWS"),
        ("azurerm_storage_account", "Azure"),
        ("google_compute_firewall", "GCP"),
        ("data.aws_iam_policy_document", "AWS"),
        ("terraform_variable", "Terraform"),
        ("Deployment", "Kubernetes"),
        ("ComposeService", "compose"),
        ("Dockerfile", "Dockerfile"),
        ("SecurityConfig", "SecurityConfig"),
    ],
)
def test_platform_of_kind(kind: str, platform: str) -> None:
    assert platform_of_kind(kind) == platform


def test_not_assessed_names_missing_platforms_and_unsupported_clouds() -> None:
    missing = not_assessed_on(platforms(["aws_s3_bucket", "SecurityConfig"]))
    assert missing[:5] == ["Azure", "GCP", "Kubernetes", "compose", "Dockerfile"]
    assert "Alibaba Cloud" in missing and "Oracle Cloud" in missing


def test_controls_list_says_where_each_control_is_assessed() -> None:
    result = CliRunner().invoke(cli, ["controls", "list", "--pack", "soc2", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["control_id"]: r for r in json.loads(result.output)}
    network = [r for r in rows.values() if "NET-02" in r["checks"]]
    assert network and all({"AWS", "Azure", "GCP"} <= set(r["assessed_on"]) for r in network)
    assert all("Alibaba Cloud" in r["not_assessed_on"] for r in rows.values())


def test_packs_show_and_crosswalk_commands(tmp_path: Path) -> None:
    shown = CliRunner().invoke(cli, ["packs", "show", "hipaa"])
    assert shown.exit_code == 0, shown.output
    assert "assessed on" in shown.output and "Alibaba Cloud" in shown.output
    walked = CliRunner().invoke(cli, ["packs", "crosswalk"])
    assert walked.exit_code == 0
    assert walked.output == CROSSWALK.read_text(encoding="utf-8")


def test_every_azure_and_gcp_type_a_family_names_is_in_its_checks_kinds(
    loaded: tuple[CheckLibrary, list[Pack]],
) -> None:
    """A check family's Rego naming an azurerm_/google_ type reads it, so one of the
    family's checks lists it in METADATA kinds (else the control is not assessed there)."""
    import re

    from compliance.policy.analysis import family_of_module

    library, _ = loaded
    kinds_of_family: dict[str, set[str]] = {}
    for meta in library.checks.values():
        family = family_of_module(library.modules[meta.module])
        assert family is not None
        kinds_of_family.setdefault(family, set()).update(meta.kinds)
    missing = []
    for name, source in library.modules.items():
        family = family_of_module(source)
        if family is None:
            continue
        for kind in set(re.findall(r'"((?:azurerm|google)_[a-z0-9_]+)"', source)):
            if kind not in kinds_of_family.get(family, set()):
                missing.append(f"{name}: {kind}")
    assert not missing, missing
