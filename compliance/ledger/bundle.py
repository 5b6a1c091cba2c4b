"""The signed period bundle: the period report in every format, the population as CSV and
JSON, a manifest, and a DSSE envelope whose in-toto statement names every member. It verifies
with ``compliance evidence verify`` like a run bundle."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.evidence import dsse
from compliance.evidence.bundle import ATTESTATION, MANIFEST, pack_tar_gz
from compliance.ledger.period import Period
from compliance.ledger.render import (
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_oscal,
)
from compliance.ledger.store import Ledger

PERIOD_PREDICATE = "https://compliance.dev/attestation/period/v1"


def build_period_bundle(
    period: Period, ledger: Ledger, key: Ed25519PrivateKey
) -> tuple[bytes, str]:
    """The bundle's bytes and SHA-256 (deterministic for the same ledger, options and key)."""
    p = period.data
    files: dict[str, bytes] = {
        "period.json": render_json(p).encode(),
        "period.md": render_markdown(p).encode(),
        "period.csv": render_csv(p).encode(),
        "period.html": render_html(p).encode(),
        "oscal/assessment-results.json": render_oscal(p, ledger, period.runs).encode(),
        "population/population.csv": period.population.csv_bytes(),
        "population/population.json": period.population.json_bytes(),
    }
    manifest: dict[str, Any] = {
        "bundle_format": 1,
        "kind": "period",
        "tool": p["tool"],
        "ledger": p["ledger"],
        "scope": p["scope"],
        "from": p["from"],
        "to": p["to"],
        "generated_at": p["generated_at"],
        "runs": [
            {"id": r["id"], "at": r["at"], "hash": r["hash"], "bundle": r["bundle"]}
            for r in p["runs"]
        ],
        "population": p["population"]["members"],
        "signing_keyid": dsse.keyid(key.public_key()),
    }
    files[MANIFEST] = (
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    subjects = [
        dsse.Subject(name=name, digest={"sha256": hashlib.sha256(files[name]).hexdigest()})
        for name in sorted(files)
    ]
    predicate = {
        "scope": p["scope"],
        "from": p["from"],
        "to": p["to"],
        "ledger": p["ledger"],
        "generated_at": p["generated_at"],
        "runs": [r["hash"] for r in p["runs"]],
        "population_rows": p["population"]["rows"],
    }
    statement = dsse.Statement(
        subject=subjects, predicate_type=PERIOD_PREDICATE, predicate=predicate
    )
    files[ATTESTATION] = dsse.sign(statement, key).to_json()
    mtime = int(datetime.fromisoformat(p["generated_at"]).timestamp())
    data = pack_tar_gz(files, mtime, level=1)
    return data, hashlib.sha256(data).hexdigest()
