"""Loaders: one module per input format, asked in order by the registry (``registry.py``);
``load_paths`` finds, reads and loads files (``loading.py``)."""

from compliance.inputs.base import FileContext, LoadOptions, LoadResult
from compliance.inputs.loading import load_paths, load_stream
from compliance.inputs.registry import FORMATS

__all__ = ["FORMATS", "FileContext", "LoadOptions", "LoadResult", "load_paths", "load_stream"]
