"""``--engine`` and ``--opa-*`` options, shared by ``compliance evaluate`` and ``compliance serve``.

Usage::

    @click.command()
    @engine_options
    def cmd(..., engine_selection: EngineSelection) -> None:
        options = RunOptions(..., **engine_selection)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import click

from compliance.engine import ENGINES
from compliance.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


class EngineSelection(TypedDict):
    """The ``RunOptions`` fields the options set: ``RunOptions(**selection)``."""

    engine: str
    engine_options: dict[str, Any]


def engine_selection(
    engine: str,
    opa_url: str | None = None,
    opa_token: str | None = None,
    opa_ca: Path | None = None,
    opa_timeout: float | None = None,
) -> EngineSelection:
    """Validate the combination and build the ``RunOptions`` fields. Raises UsageError."""
    if engine != "opa":
        given = [
            flag
            for flag, value in (
                ("--opa-url", opa_url),
                ("--opa-token", opa_token),
                ("--opa-ca", opa_ca),
                ("--opa-timeout", opa_timeout),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)} only apply with --engine opa")
        return {"engine": engine, "engine_options": {}}
    if not opa_url:
        raise UsageError("--engine opa needs --opa-url URL (or COMPLIANCE_OPA_URL)")
    options: dict[str, Any] = {"url": opa_url}
    if opa_token:
        options["token"] = opa_token
    if opa_ca is not None:
        options["ca_file"] = str(opa_ca)
    if opa_timeout is not None:
        options["timeout"] = opa_timeout
    return {"engine": engine, "engine_options": options}


def engine_options(fn: F) -> F:
    """Add the engine options to a click command; it receives ``engine_selection``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["engine_selection"] = engine_selection(
            kwargs.pop("engine"),
            kwargs.pop("opa_url"),
            kwargs.pop("opa_token"),
            kwargs.pop("opa_ca"),
            kwargs.pop("opa_timeout"),
        )
        return fn(*args, **kwargs)

    decorators = [
        click.option(
            "--engine",
            type=click.Choice(sorted(ENGINES)),
            default="embedded",
            show_default=True,
            help="Policy engine: in-process Rego, or an OPA server.",
        ),
        click.option(
            "--opa-url",
            envvar="COMPLIANCE_OPA_URL",
            metavar="URL",
            help="OPA server for --engine opa, e.g. http://127.0.0.1:8181 (env COMPLIANCE_OPA_URL).",
        ),
        click.option(
            "--opa-token",
            envvar="COMPLIANCE_OPA_TOKEN",
            metavar="TOKEN",
            help="Bearer token for OPA (env COMPLIANCE_OPA_TOKEN keeps it out of the process list).",
        ),
        click.option(
            "--opa-ca",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            metavar="FILE",
            help="PEM CA bundle to verify OPA's TLS certificate (verification is always on).",
        ),
        click.option(
            "--opa-timeout",
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            help="Timeout of each request to OPA (default 30).",
        ),
    ]
    out: Any = wrapper
    for decorate in reversed(decorators):
        out = decorate(out)
    return out  # type: ignore[no-any-return]
