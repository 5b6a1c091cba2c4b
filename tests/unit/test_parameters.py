"""Pack parameters declared once (policies/parameters.yaml): types, ranges, Rego defaults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.errors import PackError, UsageError
from compliance.model import Pack
from compliance.policy.packs import check_parameters, effective_parameters, load_library, load_packs
from compliance.policy.parameters import load_declarations, validate_value

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
NOW = ["--now", "2026-11-27T00:00:00Z"]


@pytest.fixture(scope="module")
def packs() -> dict[str, Pack]:
    return {p.name: p for p in load_packs(None, load_library())}


def rego_defaults() -> dict[str, list[Any]]:
    """name -> every default the Rego passes to ``param(name, default)`` (JSON literals)."""
    decoder = json.JSONDecoder()
    out: dict[str, list[Any]] = {}
    for path in sorted((POLICIES / "checks").rglob("*.rego")):
        text = path.read_text()
        for match in re.finditer(r'\bparam\("([a-z_0-9]+)",\s*', text):
            value, _ = decoder.raw_decode(text, match.end())
            out.setdefault(match.group(1), []).append(value)
    return out


def test_every_parameter_a_check_reads_is_declared_with_the_rego_default() -> None:
    specs = load_declarations(POLICIES).specs
    read = rego_defaults()
    assert "tls_min_version" in read and "admin_ports" in read
    for name, defaults in read.items():
        assert name in specs, f"the checks read {name}; declare it in policies/parameters.yaml"
        spec = specs[name]
        # a parameter only some packs take: the other packs get the Rego default, "no limit"
        want = spec.default if spec.packs is None else None
        assert all(d == want for d in defaults), f"{name}: Rego {defaults}, declared {want}"
    assert set(specs) == set(read), f"declared but read by no check: {set(specs) - set(read)}"


def test_packs_take_the_declared_defaults(packs: dict[str, Pack]) -> None:
    specs = load_declarations(POLICIES).specs
    for pack in packs.values():
        assert pack.parameters == {n: s.default for n, s in specs.items() if s.takes(pack.name)}
        assert set(pack.parameter_specs) == set(pack.parameters)
    assert "log_retention_max_days" in packs["gdpr"].parameters
    assert "log_retention_max_days" not in packs["soc2"].parameters


def test_no_pack_manifest_declares_parameters() -> None:
    for manifest in POLICIES.glob("*/pack.yaml"):
        assert not re.search(r"^parameters:", manifest.read_text(), re.MULTILINE), manifest


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("tls_min_version", 1.3, "1.3"),  # --param tls_min_version=1.3 arrives as a float
        ("tls_min_version", "1.0", "1.0"),
        ("rsa_min_bits", "4096", 4096),
        ("cert_expiry_warn_days", 60.0, 60),
        ("cert_expiry_warn_days", "60.0", 60),  # --param keeps a float's text
        ("rsa_min_bits", "4e3", 4000),
        ("admin_ports", "22, 2222", [22, 2222]),
        ("admin_ports", [1, 65535], [1, 65535]),
        ("allowed_registries", "ghcr.io/acme", ["ghcr.io/acme"]),
        ("log_retention_max_days", None, None),
    ],
)
def test_values_within_the_declaration(name: str, value: Any, expected: Any) -> None:
    spec = load_declarations(POLICIES).specs[name]
    assert validate_value(name, value, spec) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "tls_min_version",
            "TLSv1.3",
            "'TLSv1.3' is not allowed; allowed: one of 1.0, 1.1, 1.2, 1.3",
        ),
        ("tls_min_version", "banana", "allowed: one of 1.0, 1.1, 1.2, 1.3"),
        ("tls_min_version", "1.10", "'1.10' is not allowed"),
        ("cert_expiry_warn_days", "7.5", "'7.5' is not allowed"),
        ("tls_min_version", 1, "tls_min_version: 1 is not allowed"),
        ("tls_min_version", None, "None is not allowed"),
        ("cert_expiry_warn_days", 0, "0 is not allowed; allowed: an integer >= 1"),
        ("log_retention_min_days", -30, "allowed: an integer >= 1"),
        ("backup_retention_min_days", "a week", "allowed: an integer >= 1"),
        (
            "admin_ports",
            [22, 70000],
            r"admin_ports\[1\]: 70000 is not allowed; allowed: a list of integers 1..65535",
        ),
        ("admin_ports", "0", r"admin_ports\[0\]: '0' is not allowed"),
        ("rsa_min_bits", 512, "allowed: an integer 1024..16384"),
        ("allowed_registries", {"a": 1}, "is not a list of strings"),
    ],
)
def test_values_outside_the_declaration_name_the_parameter_and_what_is_allowed(
    name: str, value: Any, message: str
) -> None:
    spec = load_declarations(POLICIES).specs[name]
    with pytest.raises(UsageError, match=message) as info:
        validate_value(name, value, spec)
    assert info.value.message.startswith(f"parameter {name}")


def test_effective_and_checked_parameters_use_the_declarations(packs: dict[str, Pack]) -> None:
    names = set(packs)
    hipaa = packs["hipaa"]
    assert effective_parameters(hipaa, {"tls_min_version": 1.3})["tls_min_version"] == "1.3"
    with pytest.raises(UsageError, match="tls_min_version: 'TLSv1.3' is not allowed"):
        effective_parameters(hipaa, {"tls_min_version": "TLSv1.3"})
    with pytest.raises(UsageError, match=r"hipaa.admin_ports\[0\]: 0 is not allowed") as info:
        check_parameters(
            [hipaa],
            {"hipaa": {"admin_ports": [0]}},
            names,
            "c.yaml",
            {"parameters.hipaa.admin_ports": 5},
        )
    assert (info.value.file, info.value.line) == ("c.yaml", 5)


def _root(tmp_path: Path, declarations: str) -> Path:
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "x.rego").write_text("package compliance.checks.x\n")
    (tmp_path / "parameters.yaml").write_text(declarations)
    return tmp_path


@pytest.mark.parametrize(
    ("declarations", "message", "line"),
    [
        ("a: {type: integer, minimum: 1, default: 0}\n", "the default of a is outside", 1),
        (
            "a: {type: integer, default: 1}\nb: {type: text, default: x}\n",
            "invalid declaration of b",
            2,
        ),
        ("a: {type: list, default: []}\n", "`items` is the item type of a list", 1),
        ("a: {type: string, default: x, allowd: [x]}\n", "invalid declaration of a", 1),
    ],
)
def test_bad_declarations_are_pack_errors_with_file_and_line(
    tmp_path: Path, declarations: str, message: str, line: int
) -> None:
    with pytest.raises(PackError, match=message) as info:
        load_declarations(_root(tmp_path, declarations))
    assert (info.value.file, info.value.line) == ("parameters.yaml", line)


def test_the_declarations_are_part_of_every_pack_digest(tmp_path: Path) -> None:
    root = _root(tmp_path, "a: {type: integer, minimum: 1, default: 5}\n")
    (root / "demo").mkdir()
    (root / "demo" / "pack.yaml").write_text(
        "name: demo\nframework: D\nversion: 1.0.0\ncontrols:\n  - {id: D.1, title: t, evidence: manual}\n"
    )
    first = load_packs(["demo"], load_library(root), root)[0]
    assert first.parameters == {"a": 5}
    (root / "parameters.yaml").write_text("a: {type: integer, minimum: 1, default: 6}\n")
    second = load_packs(["demo"], load_library(root), root)[0]
    assert second.parameters == {"a": 6} and second.digest != first.digest
    (root / "demo" / "pack.yaml").write_text(
        "name: demo\nframework: D\nversion: 1.0.0\nparameters: {a: 7}\ncontrols: []\n"
    )
    with pytest.raises(PackError, match="declared once, in parameters.yaml") as info:
        load_packs(["demo"], load_library(root), root)
    assert info.value.line == 4


@pytest.mark.parametrize("value", ["TLSv1.3", "banana", "1.10"])
def test_a_bad_param_is_exit_2_not_a_changed_verdict(value: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(ROOT / "examples" / "bpi"),
            "--param",
            f"tls_min_version={value}",
            "--no-cache",
            *NOW,
        ],
    )
    assert result.exit_code == 2
    assert (
        f"--param: parameter tls_min_version: '{value}' is not allowed; allowed: one of 1.0, 1.1, 1.2, 1.3"
        in result.stderr
    )
    serve = CliRunner().invoke(cli, ["serve", "--param", f"tls_min_version={value}"])
    assert serve.exit_code == 2 and "tls_min_version" in serve.output


def _default_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(x) for x in value) if value else "[] (any)"
    return json.dumps(value) if isinstance(value, str) else str(value)


def test_the_readme_table_is_the_declarations() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, spec in load_declarations(POLICIES).specs.items():
        default = _default_text(spec.default)
        if spec.packs:
            default += f" ({', '.join(spec.packs)} only)"
        row = f"| `{name}` | {spec.describe()} | {default} | {', '.join(spec.checks)}: {spec.description} |"
        assert row in readme, f"README.md parameter table: expected the row\n{row}"
