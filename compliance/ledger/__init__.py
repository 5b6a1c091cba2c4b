"""Evidence over time: a ledger of runs and admission decisions (DESIGN.md section 10).

Importing this package is cheap; the database code loads only when a ledger is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compliance.collector import gc_paused
from compliance.errors import UsageError
from compliance.project import Project

if TYPE_CHECKING:
    from compliance.model.report import Report

ENV_LEDGER = "COMPLIANCE_LEDGER"
DEFAULT_SCOPE = "default"


SCHEMES = ("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")


def ledger_url(option: str | None, project: Project) -> str | None:
    """``--ledger``, else ``COMPLIANCE_LEDGER``, else ``ledger:`` in compliance.yaml; a URL of
    another kind is a usage error before anything runs."""
    url = option or os.environ.get(ENV_LEDGER) or project.config.ledger or None
    if url is not None and not url.startswith(SCHEMES):
        shown = re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)
        raise UsageError(
            f"unsupported ledger URL {shown!r}: use sqlite:///PATH or postgresql://..."
        )
    return url


def preload(url: str) -> None:
    """Import SQLAlchemy's ledger code in a background thread, while the run loads and
    evaluates (the main process mostly waits on its workers then), when the run will need it:
    an existing SQLite ledger is appended to with the standard library's driver instead."""
    import importlib
    import threading

    if url.startswith("sqlite:///") and Path(url[len("sqlite:///") :]).is_file():
        return
    threading.Thread(
        target=importlib.import_module, args=("compliance.ledger.store",), daemon=True
    ).start()


def scope_name(option: str | None, project: Project) -> str:
    name = option or project.config.scope_name() or DEFAULT_SCOPE
    if not name.strip() or len(name) > 200:
        raise UsageError(f"--scope {name!r}: a scope is a non-empty name of at most 200 characters")
    return name


def record_evaluation(
    url: str,
    scope: str,
    data: Report | dict[str, Any],
    *,
    paths: tuple[str, ...],
    loaded_resources: list[Any],
    bundle: Path | None = None,
    bundle_sha256: str | None = None,
    sign_key: Path | None = None,
) -> str:
    """Record one ``compliance evaluate`` run (its report, or the report's JSON data);
    return the line for stderr."""
    from compliance.ledger.appender import SqliteAppender, open_appender
    from compliance.ledger.record import SourceRevision, record_run, resources_of, run_data

    key = None
    if sign_key is not None:
        from compliance.evidence import dsse

        key = dsse.load_private_key(sign_key)
    bundle_ref = (
        {"sha256": bundle_sha256, "path": str(bundle) if bundle else None}
        if bundle_sha256
        else None
    )
    appender = open_appender(url)
    if appender is None:
        from compliance.ledger.store import Ledger

        ledger: Ledger | SqliteAppender = Ledger(url)
    else:
        ledger = appender
    # the run's blobs are built from a report of millions of objects the collector would
    # walk again to find nothing
    with ledger, gc_paused():
        revision = SourceRevision(paths)  # git runs while the run's data is gathered
        if not isinstance(data, dict):
            data = run_data(data)
        resources = resources_of(data, loaded_resources)
        entry = record_run(
            ledger,
            data,
            scope=scope,
            resources=resources,
            source=revision.result(),
            bundle=bundle_ref,
            sign_key=key,
        )
        source = ledger.source
    return f"recorded {entry.id} (scope {scope}) in ledger {source}"
