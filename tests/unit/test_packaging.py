"""The distribution: a name of our own, every package and data folder listed, a build without
warnings, and a wheel that works installed on its own (`compliance packs test` finds the cases
it ships; `compliance evaluate examples/bpi` gives the golden report).

The wheel is built from a copy of the source in a temporary folder (the checkout is never
written). The fresh virtualenv gets the wheel with ``--no-deps``; its dependencies come from
the test's own environment through a ``.pth`` line naming its site-packages (fast, no index),
and the test checks that ``compliance`` itself is imported from the fresh virtualenv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
GOLDEN = ROOT / "tests" / "fixtures" / "golden" / "bpi-report.json"
CASES = ROOT / "tests" / "packs" / "cases"
SOURCES = ("pyproject.toml", "README.md", "compliance", "policies", "tests/packs/cases")


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "COMPLIANCE_POLICIES", "PYTHONDONTWRITEBYTECODE"}
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(wheel, sdist, build output) from ``python -m build`` (sdist, then the wheel from it)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy(ROOT / name, src / name)
    out = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(src / "dist"), str(src)],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (wheel,) = (src / "dist").glob("*.whl")
    (sdist,) = (src / "dist").glob("*.tar.gz")
    return wheel, sdist, out.stdout + out.stderr


def test_distribution_name_is_our_own() -> None:
    """`compliance` on the index is another project's; ours is compliance-rego (checked free
    with `pip index versions` and `pip download --no-deps`), the import package stays
    `compliance`, and the licence is an SPDX expression."""
    project = PYPROJECT["project"]
    assert project["name"] == "compliance-rego"
    assert project["license"] == "Apache-2.0"
    assert project["scripts"] == {"compliance": "compliance.cli:main"}


def test_readme_installs_what_it_says() -> None:
    """Every `pip install` in the README installs this distribution (by name or as the wheel
    `make dist` builds), never the index's `compliance`."""
    name = PYPROJECT["project"]["name"]
    wheel = re.compile(re.escape(name.replace("-", "_")) + r"-[^/]*\.whl$")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    installs = re.findall(r"pip install ([^\n`]+)", readme)
    assert len(installs) >= 3
    for line in installs:
        first = next(w for w in line.split() if not w.startswith("-"))
        assert re.fullmatch(re.escape(name) + r"([=<>~!].*)?", first) or wheel.search(first), line


def test_every_package_and_policy_folder_is_listed() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "compliance").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    folders = {
        "compliance._policies." + ".".join(p.parent.relative_to(ROOT / "policies").parts)
        for p in (ROOT / "policies").rglob("*")
        if p.is_file() and p.parent != ROOT / "policies"
    }
    assert folders <= listed, f"add to [tool.setuptools] packages: {sorted(folders - listed)}"


def test_build_prints_no_warnings(built: tuple[Path, Path, str]) -> None:
    _, _, output = built
    warnings = [line for line in output.splitlines() if re.search(r"warn|deprecat", line, re.I)]
    assert warnings == []


def test_wheel_ships_policies_templates_and_cases(built: tuple[Path, Path, str]) -> None:
    wheel, sdist, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    for rego in (ROOT / "policies").rglob("*.rego"):
        assert f"compliance/_policies/{rego.relative_to(ROOT / 'policies').as_posix()}" in names
    for pack in (ROOT / "policies").glob("*/pack.yaml"):
        assert f"compliance/_policies/{pack.relative_to(ROOT / 'policies').as_posix()}" in names
    for case in CASES.rglob("*"):
        if case.is_file():
            assert f"compliance/_cases/{case.relative_to(CASES).as_posix()}" in names
    for template in (ROOT / "compliance" / "templates").rglob("*"):
        if template.is_file() and "__pycache__" not in template.parts:
            assert template.relative_to(ROOT).as_posix() in names
    assert "compliance/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        assert f"{top}/policies/soc2/pack.yaml" in tar.getnames()
    assert "compliance/_policies/crosswalk.csv" in names
    assert "compliance/_policies/parameters.yaml" in names


def test_installed_wheel_runs_pack_cases_and_evaluates(
    built: tuple[Path, Path, str], tmp_path: Path
) -> None:
    wheel, _, _ = built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    dev = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "dev-dependencies.pth").write_text("\n".join(sorted(dev)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
        env=_env(),
    )
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples" / "bpi", work / "examples" / "bpi")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "compliance"), *args],
            cwd=work,
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
        )

    where = subprocess.run(
        [
            str(python),
            "-c",
            "import compliance.policy.packs as p; print(p.__file__, p.policy_root())",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(site / "compliance")
    assert Path(where[1]) == site / "compliance" / "_policies"

    cases = run("packs", "test")
    assert cases.returncode == 0, cases.stdout[-2000:] + cases.stderr[-2000:]
    count = sum(1 for p in CASES.glob("*/*") if (p / "expected.yaml").is_file())
    assert f"{count} cases, {count} passed, 0 failed" in cases.stdout

    report = run(
        "evaluate",
        "examples/bpi",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--now",
        "2026-11-27T00:00:00Z",
        "--no-cache",
    )
    assert report.returncode == 0, report.stderr[-2000:]
    assert report.stdout == GOLDEN.read_text(encoding="utf-8")
    assert not (work / ".compliance-cache").exists()
