"""The session guard of tests/conftest.py sees every file a test adds, changes or removes in a
checkout, ignored ones included, and not the tools' own output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import checkout_changes, checkout_state


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text(".compliance-cache/\nbuild/\n__pycache__/\n")
    (root / "tracked.txt").write_text("a\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "init"], check=True, env=env)
    return root


def test_the_guard_names_every_written_path(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / ".compliance-cache" / "results").mkdir(parents=True)
    (root / ".compliance-cache" / "results" / "old.json").write_text("{}")
    before = checkout_state(root)
    assert before is not None
    assert checkout_changes(before, checkout_state(root) or {}) == []

    (root / ".compliance-cache" / "results" / "new.json").write_text("{}")
    (root / ".compliance-cache" / "results" / "old.json").write_text('{"changed": 1}')
    (root / "build").mkdir()
    (root / "build" / "lib.txt").write_text("x")
    (root / "tracked.txt").write_text("b\n")
    (root / "untracked.txt").write_text("c\n")
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "__pycache__" / "m.pyc").write_bytes(b"\0")
    assert checkout_changes(before, checkout_state(root) or {}) == [
        "written: .compliance-cache/results/new.json",
        "written: .compliance-cache/results/old.json",
        "written: build/lib.txt",
        "written: tracked.txt",
        "written: untracked.txt",
    ]
    written = checkout_state(root) or {}
    (root / "untracked.txt").unlink()
    assert checkout_changes(written, checkout_state(root) or {}) == ["removed: untracked.txt"]


def test_outside_a_git_checkout_there_is_nothing_to_compare(tmp_path: Path) -> None:
    assert checkout_state(tmp_path) is None
