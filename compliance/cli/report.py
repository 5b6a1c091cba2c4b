"""``compliance report``: reports over the ledger (the audit period, the SoA)."""

from __future__ import annotations

import click


@click.group()
def report() -> None:
    """Reports built from the ledger: the audit period and the Statement of Applicability."""


COMMANDS = [report]
