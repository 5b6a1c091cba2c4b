"""The wheel carries every package, the templates and the policies (check library + packs)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "compliance").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_wheel_ships_policies_and_templates(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("compliance-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rego in (ROOT / "policies").rglob("*.rego"):
        assert f"compliance/_policies/{rego.relative_to(ROOT / 'policies').as_posix()}" in names
    for pack in (ROOT / "policies").glob("*/pack.yaml"):
        assert f"compliance/_policies/{pack.relative_to(ROOT / 'policies').as_posix()}" in names
    assert "compliance/_policies/parameters.yaml" in names
    assert any(n.startswith("compliance/templates/") for n in names)


def test_installed_layout_finds_packaged_policies(tmp_path: Path) -> None:
    """From an unpacked wheel (no source checkout around it) the packs load."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "w"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "w").glob("compliance-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import compliance.packs as p; "
        "lib = p.load_library(); print(p.policy_root().name, len(lib.checks), p.available_packs()); "
        "print(p.load_pack('gdpr', lib).parameters['log_retention_max_days'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split(" ", 2)[:2] == ["_policies", "26"]
    assert "soc2" in out.stdout
    assert out.stdout.splitlines()[-1] == "730"  # parameters.yaml ships beside the packs
