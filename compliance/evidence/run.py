"""The one call ``compliance evaluate`` makes for evidence: redact, bundle, sign, store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.errors import OutputError, UsageError
from compliance.evidence.redact import input_secrets, redact_report
from compliance.inputs import LoadResult
from compliance.model import Report


@dataclass
class Recorded:
    report: Report
    """The report with secret values redacted: what every output format should render."""
    notes: list[str] = field(default_factory=list)
    """What was written where, for stderr."""
    bundle_sha256: str | None = None
    """The signed bundle's SHA-256, when one was written."""
    keyid: str | None = None
    """The signing key's id, when a bundle was written."""


def record_evidence(
    report: Report,
    loaded: LoadResult,
    *,
    bundle: Path | None = None,
    sign_key: Path | None = None,
    store: Path | None = None,
    parameters: dict[str, Any] | None = None,
) -> Recorded:
    """Redact the report; with ``bundle`` and/or ``store``, write a signed bundle there."""
    if (bundle or store) and sign_key is None:
        raise UsageError(
            "--bundle and --store need --sign-key KEY (create one with `compliance keys generate`)"
        )
    if sign_key is not None and not (bundle or store):
        raise UsageError("--sign-key is only used with --bundle FILE or --store DIR")
    if not (bundle or store):
        # No bundle: only the report is scrubbed; the inputs' text is rewritten only for one.
        return Recorded(redact_report(report, input_secrets(loaded)))
    assert sign_key is not None
    # Signing and the report templates only when a bundle is written.
    from compliance.evidence import dsse
    from compliance.evidence.bundle import build_bundle
    from compliance.evidence.store import Store

    built = build_bundle(report, loaded, dsse.load_private_key(sign_key), parameters)
    notes = []
    if bundle is not None:
        try:
            bundle.parent.mkdir(parents=True, exist_ok=True)
            bundle.write_bytes(built.data)
        except OSError as e:
            raise OutputError(f"cannot write bundle: {e.strerror}", file=str(bundle)) from e
        notes.append(
            f"wrote signed evidence bundle {bundle} (sha256 {built.sha256}, keyid {built.keyid[:16]})"
        )
    if store is not None:
        entry = Store(store).add(built)
        notes.append(f"stored bundle {entry['id']} in {store}")
    return Recorded(built.report, notes, built.sha256, built.keyid)
