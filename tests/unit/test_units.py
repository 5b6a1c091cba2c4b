"""Result unit ids (compliance.incremental.units.Unit): typed, with the stored names the
index and the unit keys use."""

from __future__ import annotations

import pytest

from compliance.incremental.store import index_shard
from compliance.incremental.units import GLOBAL, GLOBAL_NOW, Unit


@pytest.mark.parametrize(
    ("unit", "name"),
    [
        (GLOBAL, "global"),
        (GLOBAL_NOW, "global@now"),
        (Unit("ns:shop"), "group:ns:shop"),
        (Unit("ns:shop", now=True), "group:ns:shop@now"),
        (Unit("ns:big", "apps/big/deploy.yaml"), "group:ns:big|apps/big/deploy.yaml"),
        (Unit("compose.yaml"), "group:compose.yaml"),
    ],
)
def test_unit_names(unit: Unit, name: str) -> None:
    assert unit.name == name


def test_units_are_values() -> None:
    assert Unit("ns:a") == Unit("ns:a") and hash(Unit("ns:a")) == hash(Unit("ns:a"))
    assert len({Unit("ns:a"), Unit("ns:a", now=True), Unit("ns:a", "f.yaml"), GLOBAL}) == 4
    assert Unit("global") != GLOBAL  # a group named like the global unit stays a group


def test_every_time_unit_shares_one_index_shard() -> None:
    """A run without --now replaces every "@now" unit and rewrites one shard only."""
    shards = {
        index_shard(u.name) for u in (GLOBAL_NOW, Unit("ns:a", now=True), Unit("x", now=True))
    }
    assert len(shards) == 1
