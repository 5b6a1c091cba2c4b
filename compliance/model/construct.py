"""Building many models from values already known to be valid, fast."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_ORDER: dict[type[BaseModel], tuple[str, ...]] = {}


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of ``cls`` holding ``values``, one for every field, unvalidated.

    What ``model_construct`` makes (the same ``__dict__``, fields set, no extra, no
    private), without its per-field alias and default handling: a report of thousands of
    findings built from checked seeds and cached records spends ~10 us less per model.
    Only for values this program produced and checked; tests/unit/test_construct.py holds
    it equal to validation for every model it builds."""
    order = _ORDER.get(cls)
    if order is None:
        order = _ORDER[cls] = tuple(cls.__pydantic_fields__)
    # a dict literal in field order compares as a tuple of the same interned names (a
    # fraction of a set comparison of its keys, once per model of thousands)
    if tuple(values) != order and values.keys() != cls.__pydantic_fields__.keys():
        raise ValueError(f"{cls.__name__}: every field must be given, got {sorted(values)}")
    return holding(cls, values, set(values))


def holding(cls: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """An instance of ``cls`` whose ``__dict__`` is ``values`` (unchecked: ``trusted``, or a
    model that supplies the fields missing from ``values`` itself), ``fields_set`` set."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj
