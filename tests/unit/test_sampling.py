"""The fixed-seed sample `make test` takes of the exhaustive per-case tests."""

from __future__ import annotations

import pytest

from tests import sampling


def test_the_sample_is_fixed_covers_every_group_and_keeps_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sampling, "EXHAUSTIVE", False)
    items = [f"{check}/{i}" for check in "ABCDEFGH" for i in range(10)]
    first = sampling.sample(items, 20, group=lambda s: s.split("/")[0])
    assert first == sampling.sample(items, 20, group=lambda s: s.split("/")[0])
    assert len(first) == 20 and first == [i for i in items if i in first]
    assert {s.split("/")[0] for s in first} == set("ABCDEFGH")
    assert len(sampling.sample(items, 5)) == 5


def test_make_test_all_takes_every_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampling, "EXHAUSTIVE", True)
    items = list(range(100))
    assert sampling.sample(items, 3) == items
