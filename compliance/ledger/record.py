"""A run as the ledger records it, built from the report's JSON data.

The bulky parts (each control's assessed population, the findings, the resources, the inputs,
the parameters) become content-addressed blobs, so a run that changes nothing adds one small
row. Reports without the per-control ``assessed`` map or the top-level ``resources`` array
(older producers) still record: the population then comes from the findings and is marked
``population_basis: findings``, and the resources from the loaded inputs.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compliance.ledger.chain import (
    Appender,
    Blobs,
    Entry,
    canonical,
    put_blob,
    put_pieces,
    utc_text,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from compliance.model.report import Report


class SourceRevision:
    """The git commit of the first path's repository and whether the given paths have
    uncommitted changes, from one ``git status`` (its ``branch.oid`` header is the commit,
    any other line a change) started at construction, so that it runs while the caller
    builds the run; ``result()`` waits for it. None outside a repository, before its first
    commit or without git."""

    def __init__(self, paths: Sequence[str]) -> None:
        self._process: subprocess.Popen[str] | None = None
        files = [p for p in paths if p != "-"]
        if not files:
            return
        first = Path(files[0])
        where = first if first.is_dir() else first.parent
        command = ["git", "-C", str(where), "status", "--porcelain=v2", "--branch"]
        command += ["--no-ahead-behind", "--", *[str(Path(p).resolve()) for p in files]]
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            self._process = None

    def result(self) -> dict[str, Any] | None:
        process = self._process
        if process is None:
            return None
        try:
            out, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return None
        if process.returncode != 0:
            return None
        commit = None
        dirty = False
        for line in out.splitlines():
            if line.startswith("# branch.oid "):
                commit = line[len("# branch.oid ") :].strip()
            elif line and not line.startswith("#"):
                dirty = True
        if commit is None or commit == "(initial)":
            return None
        return {"commit": commit, "dirty": dirty}


def source_revision(paths: Sequence[str]) -> dict[str, Any] | None:
    """``SourceRevision(paths).result()``."""
    return SourceRevision(paths).result()


def run_data(report: Report) -> dict[str, Any]:
    """What ``build_run`` reads of ``report.model_dump(mode="json")``, taken from the models'
    fields without a dump of every finding, resource and input: the report models hold JSON
    values in their fields (as formats/json.py relies on), except waivers and pack parameters,
    which may hold dates and go through pydantic's conversion. The dicts are the models' own
    ``__dict__`` where nothing is left out (``build_run`` copies what it changes)."""
    from pydantic_core import to_jsonable_python

    findings = []
    for f in report.findings:
        row = dict(f.__dict__)
        del row["baseline"]
        row["resource"] = row["resource"].__dict__
        if row["waiver"] is not None:
            row["waiver"] = to_jsonable_python(row["waiver"])
        findings.append(row)
    return {
        "tool": report.tool,
        "engine": report.engine,
        "evaluated_at": report.evaluated_at,
        "packs": [p.model_dump(mode="json") for p in report.packs],
        "summary": report.summary.model_dump(mode="json"),
        "controls": [c.__dict__ for c in report.controls],
        "resources": [r.__dict__ for r in report.resources],
        "findings": findings,
        "inputs": [i.__dict__ for i in report.inputs],
        "errors": report.errors,
    }


def _finding_populations(findings: Iterable[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """``pack:control`` -> check -> resource ids, from the findings (one pass)."""
    out: dict[str, dict[str, set[str]]] = {}
    for f in findings:
        rid, check = f["resource"]["id"], f["check_id"]
        for key in f.get("controls", []):
            out.setdefault(key, {}).setdefault(check, set()).add(rid)
    return {
        key: {check: sorted(ids) for check, ids in sorted(checks.items())}
        for key, checks in out.items()
    }


def resources_of(data: dict[str, Any], loaded: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """The report's ``resources`` array, or the loaded resources when it has none."""
    if isinstance(data.get("resources"), list):
        given = data["resources"]
        if all(type(r.get("id")) is str for r in given):
            return sorted(given, key=itemgetter("id"))
        return sorted(given, key=lambda r: str(r.get("id")))
    out = []
    for r in loaded:
        out.append(
            {
                "id": r.id,
                "kind": r.kind,
                "name": r.name,
                "namespace": r.namespace,
                "file": r.source.file,
                "line": r.source.line,
                "format": r.source.format,
            }
        )
    return sorted(out, key=lambda r: str(r["id"]))


_INPUT_FIELDS = ("file", "format", "sha256", "resources")
"""What the ledger keeps of each input (an input that holds only these keys is used as is)."""
_INPUT_KEYS = frozenset(_INPUT_FIELDS)


@dataclass(frozen=True, eq=False)
class _Sorted:
    """One check's resource list, sorted, and its canonical JSON."""

    source: list[str]
    ordered: list[str]
    text: bytes
    all_text: bool
    """Every id is a string: an equal list then has the same sorted JSON."""


class _Populations:
    """Each control's population blob, ``canonical({check: sorted(ids)})``, and what the
    controls assessed per check. A report's controls share their checks' resource lists (one
    list per check; equal lists in a report's JSON data), so each list is sorted and written
    as JSON once and a blob is made of those pieces: the bytes ``canonical`` gives, which its
    digest is taken of."""

    def __init__(self) -> None:
        self._by_list: dict[int, _Sorted] = {}
        self._by_check: dict[str, _Sorted] = {}
        self.by_check: dict[str, set[str]] = {}
        self._merged: dict[tuple[str, int], _Sorted] = {}
        """(check, list) pairs already in ``by_check`` (holding the list keeps its id)."""

    def _sorted(self, check: str, ids: list[str]) -> _Sorted:
        got = self._by_list.get(id(ids))
        if got is not None and got.source is ids:
            return got
        got = self._by_check.get(check)
        if got is None or not got.all_text or ids != got.source:
            ordered = sorted(ids)
            text = canonical(ordered)
            got = _Sorted(ids, ordered, text, all(type(i) is str for i in ordered))
        self._by_list[id(ids)] = self._by_check[check] = got
        return got

    def put(self, blobs: Blobs, population: dict[str, list[str]]) -> tuple[str, int]:
        """Add the blob of ``population`` (check -> resource ids, any order); return its
        digest and the number of (check, resource) pairs it holds."""
        parts = [b"{"]
        count = 0
        for check in sorted(population):
            got = self._sorted(check, population[check])
            parts += (b"," if len(parts) > 1 else b"", canonical(check), b":", got.text)
            count += len(got.ordered)
            if (check, id(got)) not in self._merged:
                self._merged[(check, id(got))] = got
                self.by_check.setdefault(check, set()).update(got.ordered)
        parts.append(b"}")
        return put_pieces(blobs, "population", tuple(parts)), count


def build_run(
    data: dict[str, Any],
    *,
    resources: list[dict[str, Any]],
    source: dict[str, Any] | None = None,
    bundle: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Blobs]:
    """The run's row body and the blobs it names."""
    blobs: Blobs = {}
    findings = _sorted_findings([_without_baseline(f) for f in data.get("findings", [])])
    has_assessed = all("assessed" in c for c in data.get("controls", []))
    from_findings = {} if has_assessed else _finding_populations(findings)
    controls = []
    populations = _Populations()
    for c in data.get("controls", []):
        key = f"{c['pack']}:{c['control_id']}"
        population = (c.get("assessed") or {}) if has_assessed else from_findings.get(key, {})
        row = {k: v for k, v in c.items() if k != "assessed"}
        row["population"], row["assessed_count"] = populations.put(blobs, population)
        controls.append(row)
    controls.sort(key=lambda c: (c["pack"], c["control_id"]))
    packs = data.get("packs", [])
    body: dict[str, Any] = {
        "tool": data.get("tool", {}),
        "engine": data.get("engine", {}),
        "evaluated_at": data.get("evaluated_at"),
        "source": source,
        "packs": [{k: p.get(k) for k in ("name", "version", "framework", "digest")} for p in packs],
        "parameters": put_blob(
            blobs, "parameters", {p["name"]: p.get("parameters", {}) for p in packs}
        ),
        "controls": put_blob(blobs, "controls", controls),
        "findings": put_blob(blobs, "findings", findings),
        "resources": put_blob(blobs, "resources", resources),
        "inputs": put_blob(
            blobs,
            "inputs",
            [
                i if i.keys() == _INPUT_KEYS else {k: i.get(k) for k in _INPUT_FIELDS}
                for i in data.get("inputs", [])
            ],
        ),
        "summary": data.get("summary", {}),
        "errors": len(data.get("errors", [])),
        "population_basis": "assessed" if has_assessed and controls else "findings",
        "counts": {
            "controls": len(controls),
            "findings": len(findings),
            "resources": len(resources),
            "population": sum(len(ids) for ids in populations.by_check.values()),
        },
        "bundle": bundle,
    }
    return body, blobs


def _sorted_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``findings`` by (fingerprint, check, resource id): by fingerprint alone when no two
    share one (the usual case, and the same order)."""
    out = sorted(findings, key=itemgetter("fingerprint"))
    prints = [f["fingerprint"] for f in out]
    if len(set(prints)) == len(prints):
        return out
    return sorted(findings, key=lambda f: (f["fingerprint"], f["check_id"], f["resource"]["id"]))


def _without_baseline(finding: dict[str, Any]) -> dict[str, Any]:
    if "baseline" not in finding:
        return finding
    out = dict(finding)
    del out["baseline"]
    return out


def sign_body(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``body`` with ``signer``: the key id, the raw public key and an Ed25519 signature over
    the canonical body without ``signer``."""
    from compliance.evidence import dsse

    unsigned = {k: v for k, v in body.items() if k != "signer"}
    pub = key.public_key()
    return {
        **unsigned,
        "signer": {
            "keyid": dsse.keyid(pub),
            "public_key": base64.b64encode(dsse.raw_public_bytes(pub)).decode(),
            "sig": base64.b64encode(key.sign(canonical(unsigned))).decode(),
        },
    }


def record_run(
    ledger: Appender,
    data: dict[str, Any],
    *,
    scope: str,
    at: str | None = None,
    resources: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
    bundle: dict[str, Any] | None = None,
    sign_key: Ed25519PrivateKey | None = None,
) -> Entry:
    """Append the run; its time is ``at``, else the report's ``evaluated_at``, else now."""
    body, blobs = build_run(
        data,
        resources=resources if resources is not None else resources_of(data),
        source=source,
        bundle=bundle,
    )
    body = sign_body(body, sign_key) if sign_key is not None else {**body, "signer": None}
    when = at or _normal_time(data.get("evaluated_at")) or utc_text(datetime.now(UTC))
    return ledger.append("run", scope, when, body, blobs)


def _normal_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return utc_text(moment)
