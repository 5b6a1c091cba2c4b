"""Loaders: one module per input kind, chosen by the registry in ``registry.py``."""

from compliance.loaders.base import FileContext, LoadOptions, LoadResult
from compliance.loaders.registry import FORMATS, load_paths, load_stream

__all__ = ["FORMATS", "FileContext", "LoadOptions", "LoadResult", "load_paths", "load_stream"]
