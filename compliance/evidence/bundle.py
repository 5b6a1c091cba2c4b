"""Deterministic evidence bundles: the same report, inputs and key give the same bytes.

Entries are sorted, every entry is a regular file with a fixed mtime (the evaluation time),
owner and mode; the gzip header carries no timestamp and no file name. Ed25519 signatures are
deterministic, so the attestation is too.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.errors import ComplianceError
from compliance.evidence import dsse
from compliance.evidence.redact import (
    input_secrets,
    redact_report,
    redact_text,
)
from compliance.formats import html, oscal_plan, renderer
from compliance.formats.view import BundleInfo
from compliance.inputs import LoadResult
from compliance.model import Report
from compliance.model.members import input_member

ATTESTATION = "attestation.dsse.json"
MANIFEST = "manifest.json"
BUNDLE_FORMAT = 1
FILE_MODE = 0o644


@dataclass(frozen=True)
class Bundle:
    data: bytes
    report: Report
    """The redacted report that the bundle holds."""
    manifest: dict[str, Any]
    keyid: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def redact_inputs(loaded: LoadResult) -> tuple[dict[str, str], dict[str, int], set[str]]:
    """rel -> redacted text, rel -> lines changed, and every secret value seen."""
    by_file: dict[str, list[Any]] = {}
    for r in loaded.resources:
        by_file.setdefault(r.source.file, []).append(r)
    every = input_secrets(loaded)
    texts: dict[str, str] = {}
    changed: dict[str, int] = {}
    for rel, text in loaded.texts.items():
        red = redact_text(text, every, by_file.get(rel, []), rel)
        texts[rel] = red.text
        changed[rel] = red.count
    return texts, changed, every


def build_bundle(
    report: Report,
    loaded: LoadResult,
    key: Ed25519PrivateKey,
    parameters: dict[str, Any] | None = None,
) -> Bundle:
    """Render, redact, sign and pack one evaluation. Pure apart from CPU: returns the bytes."""
    texts, changed, secrets = redact_inputs(loaded)
    safe = redact_report(report, secrets)
    pub = key.public_key()
    # the HTML report links each file:line to the input's copy beside it in the archive
    members = {rel: input_member(rel) for rel in texts}
    files: dict[str, bytes] = {
        "report.json": renderer("json")(safe).encode(),
        "report.html": html.render(safe, bundle=BundleInfo(dsse.keyid(pub), members)).encode(),
        "report.md": renderer("markdown")(safe).encode(),
        "oscal/assessment-results.json": renderer("oscal")(safe).encode(),
        # what the results import: assessment plan, SSP, profile, a catalog per pack
        **{
            f"oscal/{name}": oscal_plan.dumps(doc)
            for name, doc in oscal_plan.documents(safe).items()
        },
    }
    digests = {i.file: i.sha256 for i in report.inputs}
    inputs = []
    owners: dict[str, str] = {}
    for rel in sorted(texts):
        member = input_member(rel)
        if member in owners:  # only paths equal up to '.' and '//' components
            raise ComplianceError(
                f"inputs {owners[member]!r} and {rel!r} would share the bundle member {member!r}"
            )
        owners[member] = rel
        data = texts[rel].encode("utf-8")
        files[member] = data
        inputs.append(
            {
                "file": rel,
                "path": member,
                "sha256": digests.get(rel)
                or hashlib.sha256(loaded.texts[rel].encode()).hexdigest(),
                "redacted_sha256": hashlib.sha256(data).hexdigest(),
                "redacted_lines": changed[rel],
            }
        )
    manifest: dict[str, Any] = {
        "bundle_format": BUNDLE_FORMAT,
        "tool": safe.tool,
        "engine": safe.engine,
        "evaluated_at": safe.evaluated_at,
        "packs": [p.model_dump(mode="json") for p in safe.packs],
        "parameters": parameters or {},
        "inputs": inputs,
        "summary": safe.summary.model_dump(mode="json"),
        "signing_keyid": dsse.keyid(pub),
    }
    files[MANIFEST] = _json(manifest)
    subjects = [
        dsse.Subject(name=name, digest={"sha256": hashlib.sha256(files[name]).hexdigest()})
        for name in sorted(files)
    ]
    predicate = {
        "tool": safe.tool,
        "engine": safe.engine,
        "packs": manifest["packs"],
        "parameters": manifest["parameters"],
        "evaluated_at": safe.evaluated_at,
        "summary": manifest["summary"],
        "inputs": [{"file": i["file"], "sha256": i["sha256"]} for i in inputs],
        "errors": len(safe.errors),
    }
    envelope = dsse.sign(dsse.Statement(subject=subjects, predicate=predicate), key)
    files[ATTESTATION] = envelope.to_json()
    mtime = int(datetime.fromisoformat(safe.evaluated_at).timestamp())
    return Bundle(pack_tar_gz(files, mtime), safe, manifest, dsse.keyid(pub))


def pack_tar_gz(files: dict[str, bytes], mtime: int, level: int = 9) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = mtime
            info.mode = FILE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(files[name]))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()
