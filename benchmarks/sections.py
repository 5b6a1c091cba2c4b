"""RESULTS.md is written by several benchmarks: each owns one ``## `` section."""

from __future__ import annotations

import re
from pathlib import Path


def replace_section(path: Path, heading: str, body: str) -> None:
    """``path`` with the section under ``heading`` (up to the next ``## `` heading) replaced
    by ``body`` (which starts with ``heading``), or ``body`` appended when there is none."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: body.rstrip("\n") + "\n\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n"
    path.write_text(text, encoding="utf-8")
