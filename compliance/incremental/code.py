"""A digest of the package's own code: part of every cache key, so that a change to a
loader, the evaluator or the bundled policies never serves a result of the old code.

The digest covers the names and bytes of every file of the installed ``compliance`` package
(its ``.py`` modules, templates and, in a wheel, the bundled policies as ``_policies``),
however it was installed (a checkout, an editable install or a wheel). The Rego and packs
a run uses are part of the keys on their own (``Evaluator.digest``), wherever they live.
It is computed once per process (~1 MB read and hashed)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import compliance

PACKAGE = Path(compliance.__file__).resolve().parent
"""The root of the installed ``compliance`` package."""


def code_files(root: Path) -> list[Path]:
    """The files whose bytes the digest covers, in a stable order: every file under
    ``root`` but bytecode caches and hidden folders."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix != ".pyc"
        and not any(
            part == "__pycache__" or part.startswith(".") for part in p.relative_to(root).parts
        )
    )


def digest_of(root: Path) -> str:
    """The SHA-256 of the names and bytes of ``code_files(root)``."""
    h = hashlib.sha256()
    for path in code_files(root):
        name = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        h.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


@functools.cache
def code_digest() -> str:
    """``digest_of`` the installed package, once per process."""
    return digest_of(PACKAGE)
