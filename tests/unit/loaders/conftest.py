from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compliance.inputs.base import FileContext, LoadOptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "loaders"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def make_ctx() -> Callable[..., FileContext]:
    def make(
        path: Path | str,
        rel: str | None = None,
        *,
        sets: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> FileContext:
        p = Path(path)
        return FileContext(p, rel or p.name, LoadOptions(sets=sets, env=env or {}))

    return make
