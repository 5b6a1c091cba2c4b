"""Policy engines: the protocol in ``base.py``, one module per implementation."""

from compliance.engine.base import ENGINES, Engine, make_engine

__all__ = ["ENGINES", "Engine", "make_engine"]
