"""Command line: click groups, one module per command group. The only place that exits."""

from compliance.cli.main import main

__all__ = ["main"]
