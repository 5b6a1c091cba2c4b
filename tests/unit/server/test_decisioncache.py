"""Decision cache keys and the LRU: volatile metadata ignored, everything else counts."""

from __future__ import annotations

import copy

from compliance.server.decisioncache import DecisionCache, cache_key, settings_digest
from tests.integration.server_harness import POD

SETTINGS = settings_digest({"packs": {"soc2": "abc"}, "mode": "enforce"})


def test_volatile_metadata_does_not_change_the_key() -> None:
    applied = copy.deepcopy(POD)
    applied["metadata"].update(
        uid="9f2c", resourceVersion="812", generation=3, creationTimestamp="2026-01-01T00:00:00Z"
    )
    applied["metadata"]["managedFields"] = [{"manager": "argocd", "operation": "Apply"}]
    reordered = dict(reversed(list(POD.items())))
    key = cache_key("CREATE", "shop", POD, SETTINGS)
    assert cache_key("CREATE", "shop", applied, SETTINGS) == key
    assert cache_key("CREATE", "shop", reordered, SETTINGS) == key


def test_object_operation_namespace_and_settings_change_the_key() -> None:
    key = cache_key("CREATE", "shop", POD, SETTINGS)
    changed = copy.deepcopy(POD)
    changed["spec"]["containers"][0]["securityContext"]["privileged"] = True
    relabelled = copy.deepcopy(POD)
    relabelled["metadata"]["labels"]["tier"] = "front"
    others = {
        cache_key("CREATE", "shop", changed, SETTINGS),
        cache_key("CREATE", "shop", relabelled, SETTINGS),
        cache_key("UPDATE", "shop", POD, SETTINGS),
        cache_key("CREATE", "shop-2", POD, SETTINGS),
        cache_key("CREATE", "shop", POD, settings_digest({"packs": {"soc2": "abd"}})),
        cache_key(
            "CREATE", "shop", POD, settings_digest({"packs": {"soc2": "abc"}, "mode": "audit"})
        ),
    }
    assert key not in others and len(others) == 6


def test_lru_evicts_the_least_recently_used() -> None:
    cache = DecisionCache(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 1


def test_entries_expire_and_size_zero_disables() -> None:
    now = [0.0]
    cache = DecisionCache(size=10, ttl=60, clock=lambda: now[0])
    cache.put("a", 1)
    now[0] = 59
    assert cache.get("a") == 1
    now[0] = 121
    assert cache.get("a") is None and len(cache) == 0
    off = DecisionCache(size=0)
    off.put("a", 1)
    assert off.get("a") is None and len(off) == 0
