"""The click root: maps the project's errors to exit codes in one place."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import click

from compliance import __version__
from compliance.collector import gc_paused
from compliance.errors import ComplianceError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_ERROR, EXIT_VERIFY = 0, 1, 2, 3, 4


class RootGroup(click.Group):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import only the module of the command being run (``evaluate`` must not pay for
        the server, the templates or the signing code); every module for anything else."""
        module = _COMMAND_HOME.get(cmd_name)
        _register(COMMAND_MODULES if module is None else (module,))
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register(COMMAND_MODULES)
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ComplianceError as e:
            click.echo(f"error: {e.diagnostics()}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as e:
            if os.environ.get("COMPLIANCE_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(e).__name__}: {e} (set COMPLIANCE_DEBUG=1 for a traceback)",
                err=True,
            )
            sys.exit(EXIT_ERROR)


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compliance")
def cli() -> None:
    """Compliance-as-code for deployment configuration: SOC 2, ISO 27001, GDPR, HIPAA."""


COMMAND_MODULES = ("evaluate", "packs", "keys", "evidence", "serve", "ledger", "report")
"""Modules of ``compliance.cli`` that each expose ``COMMANDS: list[click.Command]``."""


_COMMAND_HOME = {
    "evaluate": "evaluate",
    "packs": "packs",
    "controls": "packs",
    "keys": "keys",
    "evidence": "evidence",
    "serve": "serve",
    "ledger": "ledger",
    "report": "report",
}
"""Command name -> its module, so that running one command imports one module. A name not
here (or not found there) makes every module load: a missing entry only costs time."""
_REGISTERED: set[str] = set()


def _register(names: tuple[str, ...]) -> None:
    for name in names:
        if name in _REGISTERED:
            continue
        _REGISTERED.add(name)
        # modules, classes and compiled patterns live as long as the process: built with
        # the collector paused (~10% of importing pydantic and the models) and frozen
        with gc_paused(freeze=True):
            module = importlib.import_module(f"compliance.cli.{name}")
        for command in module.COMMANDS:
            cli.add_command(command)


_SKIP_TEARDOWN = False


def skip_teardown() -> None:
    """Let ``main`` end the process without freeing its heap once the command returns: for
    a command that has written its output and left nothing open (no children, no
    unflushed files). A 10k-file run holds millions of objects; freeing them one by one
    takes ~0.1 s nobody waits for (mypy ends the same way)."""
    global _SKIP_TEARDOWN
    _SKIP_TEARDOWN = True


def main() -> None:
    """The console script (and ``python -m compliance``)."""
    # The models are this program's own: no pydantic plugin observes them, and looking
    # for plugins reads every installed distribution's metadata (~15 ms a run).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        cli(prog_name="compliance")
        code: Any = 0
    except SystemExit as e:
        code = e.code
    if not _SKIP_TEARDOWN:
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit does with a message
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away, a closed stream
            stream.flush()
    os._exit(code)
