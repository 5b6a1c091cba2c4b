"""Pack manifests against the catalog, manifest validation errors, parameters."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from compliance.errors import PackError, UsageError
from compliance.model import Pack
from compliance.policy.packs import (
    check_parameters,
    coerce_parameter,
    effective_parameters,
    load_library,
    load_pack,
    load_packs,
    merge_parameters,
    split_parameters,
)

ROOT = Path(__file__).resolve().parents[2]
CROSSWALK = ROOT / "tests" / "fixtures" / "packs" / "crosswalk.csv"
"""A copy of catalog/crosswalk.csv: the catalog the packs implement."""

COLUMNS = {"soc2": "soc2_tsc", "iso27001": "iso27001_2022", "gdpr": "gdpr", "hipaa": "hipaa_45cfr"}
PACK_NAMES = sorted(COLUMNS)
MANUAL = {("soc2", "A1.3"), ("hipaa", "164.308(a)(7)(ii)(B)")}
"""Controls whose substance is a tested recovery procedure: human evidence only."""
ID_PATTERN = {
    "soc2": r"(CC\d\.\d|A1\.\d|C1\.\d|PI1\.\d)",
    "iso27001": r"A\.[58]\.\d{1,2}",
    "gdpr": r"Art\.\d+(\(\d+\))?(\([a-z]\))?",
    "hipaa": r"164\.3\d\d\([a-z]\)(\(\d+\))?(\([ivx]+\))?(\([A-Z]\))?",
}


def catalog_id(pack: str, raw: str) -> list[str]:
    """The crosswalk's spelling -> DESIGN.md section 4's (GDPR ``Art.``; HIPAA (A)(B) split)."""
    if pack == "gdpr":
        return [f"Art.{raw}"]
    if pack == "hipaa":
        m = re.fullmatch(r"(.*)\(([A-Z])\)\(([A-Z])\)", raw)
        if m:
            return [f"{m[1]}({m[2]})", f"{m[1]}({m[3]})"]
    return [raw]


def catalog() -> dict[str, dict[str, set[str]]]:
    """pack -> control id -> checks, from the crosswalk."""
    out: dict[str, dict[str, set[str]]] = {p: {} for p in PACK_NAMES}
    with CROSSWALK.open() as f:
        for row in csv.DictReader(f):
            for pack, column in COLUMNS.items():
                for raw in row[column].split(";"):
                    for cid in catalog_id(pack, raw.strip()):
                        out[pack].setdefault(cid, set()).add(row["check_id"])
    return out


def partial_checks() -> set[str]:
    with CROSSWALK.open() as f:
        return {
            r["check_id"]
            for r in csv.DictReader(f)
            if "partial" in r["automatable"] or "manual" in r["automatable"]
        }


@pytest.fixture(scope="module")
def packs() -> dict[str, Pack]:
    library = load_library()
    return {p.name: p for p in load_packs(None, library)}


def test_all_four_packs_load_with_framework_and_semver(packs: dict[str, Pack]) -> None:
    assert sorted(packs) == PACK_NAMES
    assert packs["soc2"].framework_version == "TSC 2017 (points of focus 2022)"
    assert "27001:2022" in packs["iso27001"].framework
    assert packs["gdpr"].framework_version == "Regulation (EU) 2016/679"
    assert packs["hipaa"].framework_version == "45 CFR Part 164 Subpart C"
    for pack in packs.values():
        assert pack.version == "1.0.0"
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", pack.digest)
        assert pack.description


@pytest.mark.parametrize("name", PACK_NAMES)
def test_every_catalog_control_is_in_the_pack_with_its_checks(
    packs: dict[str, Pack], name: str
) -> None:
    want = catalog()[name]
    got = {c.id: c for c in packs[name].controls}
    assert set(got) == set(want)
    for cid, checks in want.items():
        control = got[cid]
        assert re.fullmatch(ID_PATTERN[name], cid), cid
        assert control.title.strip()
        if (name, cid) in MANUAL:
            assert control.evidence == "manual" and control.checks == [], cid
            assert control.description, f"{cid}: a manual control says what evidence to collect"
        else:
            assert set(control.checks) == checks, cid
            if checks & partial_checks():
                assert control.evidence == "partial", cid


def test_control_ids_as_design_writes_them(packs: dict[str, Pack]) -> None:
    ids = {(p.name, c.id) for p in packs.values() for c in p.controls}
    for expected in [
        ("soc2", "CC6.1"),
        ("soc2", "A1.2"),
        ("iso27001", "A.8.24"),
        ("gdpr", "Art.32(1)(a)"),
        ("gdpr", "Art.5(1)(f)"),
        ("gdpr", "Art.30"),
        ("hipaa", "164.312(e)(1)"),
        ("hipaa", "164.308(a)(4)(ii)(B)"),
        ("hipaa", "164.308(a)(4)(ii)(C)"),
    ]:
        assert expected in ids


def test_packs_reference_all_catalog_checks(packs: dict[str, Pack]) -> None:
    with CROSSWALK.open() as f:
        all_checks = {r["check_id"] for r in csv.DictReader(f)}
    assert len(all_checks) == 27
    assert set().union(*(p.check_ids() for p in packs.values())) == all_checks


def _params_read_by_checks() -> dict[str, object]:
    """Every ``param("name", default)`` the Rego library reads, with its default."""
    import yaml

    out: dict[str, object] = {}
    for path in sorted((ROOT / "policies" / "checks").rglob("*.rego")):
        for name, default in re.findall(
            r'param\("([a-z_]+)",\s*(\[[^\]]*\]|[^)]*)\)', path.read_text()
        ):
            out[name] = yaml.safe_load(default)
    return out


def test_every_parameter_a_check_reads_is_in_every_pack_with_its_default(
    packs: dict[str, Pack],
) -> None:
    read = _params_read_by_checks()
    assert "tls_min_version" in read and "admin_ports" in read
    for name, default in read.items():
        for pack in packs.values():
            if name == "log_retention_max_days":
                continue  # GDPR only; the check applies no maximum without it (default null)
            assert name in pack.parameters, f"{pack.name} lacks {name}"
            assert pack.parameters[name] == default, f"{pack.name}.{name}"
    unread = {k for p in packs.values() for k in p.parameters} - set(read)
    assert not unread, f"pack parameters no check reads (changing them would do nothing): {unread}"
    assert packs["gdpr"].parameters["log_retention_max_days"] == 730
    assert (
        packs["gdpr"].parameters["log_retention_max_days"]
        >= packs["gdpr"].parameters["log_retention_min_days"]
    )
    assert all(
        "log_retention_max_days" not in packs[n].parameters for n in ("soc2", "iso27001", "hipaa")
    )


# Manifest validation, on a temporary policies root -------------------------------------

DEMO_CHECK = """package compliance.checks.demo

import rego.v1

# METADATA
# title: Demo
# custom:
#   id: DEMO-01
#   severity: high
#   kinds: [Deployment]
violations contains v if {
\tsome r in object.get(input.kinds, "Deployment", [])
\tv := {"check": "DEMO-01", "resource": r.id, "message": "demo"}
}
"""

GOOD = """name: demo
framework: Demo framework
version: 1.0.0
description: A pack for these tests
controls:
  - id: D.1
    title: One
    checks: [DEMO-01]
  - id: D.2
    title: Needs people
    evidence: manual
"""


def make_root(tmp_path: Path, manifest: str, name: str = "demo") -> Path:
    (tmp_path / "checks").mkdir(exist_ok=True)
    (tmp_path / "checks" / "demo.rego").write_text(DEMO_CHECK)
    (tmp_path / name).mkdir(exist_ok=True)
    (tmp_path / name / "pack.yaml").write_text(manifest)
    return tmp_path


def load(root: Path, name: str = "demo") -> Pack:
    return load_pack(name, load_library(root), root)


def test_a_valid_manifest_loads(tmp_path: Path) -> None:
    pack = load(make_root(tmp_path, GOOD))
    assert [c.id for c in pack.controls] == ["D.1", "D.2"]
    assert pack.controls[1].evidence == "manual"


@pytest.mark.parametrize(
    ("manifest", "message", "line"),
    [
        (GOOD.replace("[DEMO-01]", "[DEMO-01, NOPE-99]"), "unknown check 'NOPE-99'", 8),
        (GOOD.replace("version: 1.0.0", "version: [1"), "invalid YAML", 4),
        (GOOD.replace("version: 1.0.0", "version: '1.0'"), "not semver", 3),
        (GOOD.replace("    title: One\n", ""), "controls[0].title: Field required", 6),
        (
            GOOD.replace("    checks: [DEMO-01]", "    checks: [DEMO-01]\n    evidnce: manual"),
            "controls[0].evidnce",
            9,
        ),
        (GOOD.replace("id: D.2", "id: D.1"), "control D.1 listed twice", 9),
        (GOOD.replace("name: demo", "name: other"), "does not match its folder", 1),
        (GOOD.replace("    checks: [DEMO-01]\n", ""), "is automated but names no checks", 6),
        (GOOD + "digest: sha256:00\n", "computed", 12),
        (
            GOOD + "    evidence_hint: |\n      Restore records.\n      And a plan.\n",
            "controls[1].evidence_hint: Value error, must be one line",
            12,
        ),
        (GOOD + "    evidence_hint: '  '\n", "must not be blank", 12),
        ("- a list\n", "one YAML mapping", 1),
        (
            GOOD.replace("framework: Demo framework\n", "framework: a\nframework: b\n"),
            "duplicate key 'framework'",
            3,
        ),
    ],
)
def test_bad_manifest_is_a_pack_error_naming_file_and_line(
    tmp_path: Path, manifest: str, message: str, line: int
) -> None:
    with pytest.raises(PackError) as info:
        load(make_root(tmp_path, manifest))
    assert message in info.value.message
    assert info.value.file == "demo/pack.yaml"
    assert info.value.line == line


def test_a_manual_control_carries_its_evidence_hint(tmp_path: Path) -> None:
    pack = load(make_root(tmp_path, GOOD + "    evidence_hint: Records of restore tests.\n"))
    assert pack.controls[1].evidence_hint == "Records of restore tests."
    assert pack.controls[0].evidence_hint is None


def test_every_shipped_manual_control_says_what_evidence_to_provide(
    packs: dict[str, Pack],
) -> None:
    manual = [(p.name, c) for p in packs.values() for c in p.controls if c.evidence == "manual"]
    assert manual
    assert [(name, c.id) for name, c in manual if not c.evidence_hint] == []


def test_unknown_pack_names_the_available_ones(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD)
    with pytest.raises(UsageError, match=r"unknown pack 'nope' \(available: demo\)"):
        load(root, "nope")
    with pytest.raises(UsageError, match=r"unknown pack 'Demo'; did you mean 'demo'\?"):
        load(root, "Demo")


def test_digest_covers_manifest_checks_and_pack_rego(tmp_path: Path) -> None:
    root = make_root(tmp_path, GOOD)
    first = load(root).digest
    assert load(root).digest == first
    (root / "checks" / "demo.rego").write_text(DEMO_CHECK.replace('"demo"}', '"demo!"}'))
    second = load(root).digest
    (root / "demo" / "extra.rego").write_text("package compliance.policy.packs.demo\n")
    third = load(root).digest
    (root / "demo" / "pack.yaml").write_text(GOOD.replace("title: One", "title: Uno"))
    fourth = load(root).digest
    assert len({first, second, third, fourth}) == 4


# Parameters ------------------------------------------------------------------------------


def pack(name: str, **params: object) -> Pack:
    return Pack(name=name, framework="f", version="1.0.0", parameters=params, controls=[])


def test_split_recognises_nested_and_dotted_per_pack_values() -> None:
    glob, per = split_parameters(
        {"tls_min_version": "1.3", "gdpr": {"a": 1}, "gdpr.b": 2, "x.y": 3}, {"gdpr", "soc2"}
    )
    assert glob == {"tls_min_version": "1.3", "x.y": 3}
    assert per == {"gdpr": {"a": 1, "b": 2}}


def test_precedence_cli_over_file_over_defaults_and_per_pack_within_a_layer() -> None:
    names = {"gdpr", "soc2"}
    file_layer = {
        "log_retention_min_days": 400,
        "gdpr": {"log_retention_min_days": 500, "tls_min_version": "1.3"},
    }
    gdpr, soc2 = (
        pack("gdpr", log_retention_min_days=365, tls_min_version="1.2"),
        pack("soc2", log_retention_min_days=365, tls_min_version="1.2"),
    )

    only_file = merge_parameters([file_layer, {}], names)
    assert effective_parameters(gdpr, only_file) == {
        "log_retention_min_days": 500,
        "tls_min_version": "1.3",
    }
    assert effective_parameters(soc2, only_file) == {
        "log_retention_min_days": 400,
        "tls_min_version": "1.2",
    }

    # a global --param beats the file's per-pack value; the file's other per-pack values stay
    cli = merge_parameters([file_layer, {"log_retention_min_days": 600}], names)
    assert effective_parameters(gdpr, cli) == {
        "log_retention_min_days": 600,
        "tls_min_version": "1.3",
    }
    assert effective_parameters(soc2, cli)["log_retention_min_days"] == 600

    cli_per_pack = merge_parameters([file_layer, {"soc2.tls_min_version": "1.3"}], names)
    assert effective_parameters(soc2, cli_per_pack)["tls_min_version"] == "1.3"
    assert effective_parameters(gdpr, cli_per_pack)["log_retention_min_days"] == 500


def test_a_global_value_skips_packs_that_do_not_declare_it() -> None:
    assert effective_parameters(pack("soc2", a=1), {"log_retention_max_days": 10}) == {"a": 1}


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (1.3, "1.2", "1.3"),  # --param tls_min_version=1.3 parses as a float
        ("4096", 2048, 4096),
        (30.0, 7, 30),
        ("22, 2222", [22], [22, 2222]),
        ([22], [22], [22]),
        ("ghcr.io/acme,docker.io/library", [], ["ghcr.io/acme", "docker.io/library"]),
        (True, False, True),
        (None, 730, None),
    ],
)
def test_values_are_coerced_to_the_default_type(
    value: object, default: object, expected: object
) -> None:
    assert coerce_parameter("p", value, default) == expected


@pytest.mark.parametrize(
    ("value", "default", "message"),
    [
        ("abc", 2048, "expected an integer"),
        (2.5, 2048, "expected an integer"),
        (True, 2048, "expected an integer"),
        ([1], "1.2", "expected a string"),
        ({"a": 1}, [22], "expected a list"),
        ("x", [22], r"p\[0\]: expected an integer"),
        ("yes", False, "expected true or false"),
    ],
)
def test_values_that_do_not_fit_are_usage_errors(
    value: object, default: object, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        coerce_parameter("p", value, default)


def test_check_parameters_names_source_and_line() -> None:
    packs = [pack("gdpr", log_retention_max_days=730), pack("soc2", tls_min_version="1.2")]
    names = {"gdpr", "soc2", "hipaa"}
    check_parameters(
        packs,
        {"tls_min_version": 1.3, "gdpr": {"log_retention_max_days": 365}, "hipaa": {"whatever": 1}},
        names,
        "--param",
    )
    with pytest.raises(UsageError) as info:
        check_parameters(
            packs, {"tls_min": "1.3"}, names, "compliance.yaml", {"parameters.tls_min": 4}
        )
    assert (info.value.file, info.value.line) == ("compliance.yaml", 4)
    assert (
        "unknown parameter tls_min; known: log_retention_max_days, tls_min_version"
        in info.value.message
    )
    with pytest.raises(UsageError, match="unknown parameter soc2.log_retention_max_days"):
        check_parameters(packs, {"soc2.log_retention_max_days": 1}, names, "--param")
    with pytest.raises(UsageError) as info:
        check_parameters(
            packs,
            {"gdpr": {"log_retention_max_days": "long"}},
            names,
            "c.yaml",
            {"parameters.gdpr.log_retention_max_days": 7},
        )
    assert info.value.line == 7 and "expected an integer" in info.value.message
