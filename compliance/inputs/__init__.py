"""Loaders: one module per input kind, chosen by the registry in ``registry.py``."""

from compliance.inputs.base import FileContext, LoadOptions, LoadResult
from compliance.inputs.registry import FORMATS, load_paths, load_stream

__all__ = ["FORMATS", "FileContext", "LoadOptions", "LoadResult", "load_paths", "load_stream"]
