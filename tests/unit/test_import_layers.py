"""The import-layer contract of pyproject.toml (`lint-imports`, run by `make lint`) holds, and
it fails on a new upward arrow, a function-level one included, and on a new cycle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "compliance", tmp_path / "compliance", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def test_the_contract_holds(copy: Path) -> None:
    result = lint_imports(copy)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "4 kept, 0 broken" in result.stdout


def test_a_function_level_upward_import_breaks_it(copy: Path) -> None:
    with (copy / "compliance" / "model" / "__init__.py").open("a") as f:
        f.write("\n\ndef _render() -> None:\n    from compliance.formats import renderer\n")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "compliance.model is not allowed to import compliance.formats" in result.stdout


def test_a_new_cycle_breaks_it(copy: Path) -> None:
    with (copy / "compliance" / "engine" / "base.py").open("a") as f:
        f.write(
            "\n\ndef _evaluator() -> None:\n    from compliance.evaluation.evaluator import Evaluator\n"
        )
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "compliance.engine is not allowed to import compliance.evaluation" in result.stdout
    assert "No import cycles between sibling modules BROKEN" in result.stdout


def test_the_planner_importing_the_evaluator_breaks_it(copy: Path) -> None:
    """Inside evaluation/ the arrows go evaluator -> planner -> executor -> scope."""
    with (copy / "compliance" / "evaluation" / "planner.py").open("a") as f:
        f.write("\n\ndef _up() -> None:\n    from compliance.evaluation import evaluator\n")
    result = lint_imports(copy)
    assert result.returncode == 1
    assert "Evaluation: the evaluator on the planner on the process pool BROKEN" in result.stdout
