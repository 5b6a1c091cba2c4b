"""The local evidence store: bundles named by digest plus an ``index.json`` read per query."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from compliance.errors import ComplianceError, EvidenceError, OutputError, UsageError
from compliance.evidence.bundle import Bundle

DEFAULT_STORE = Path("evidence")
INDEX = "index.json"
INDEX_VERSION = 1


class Store:
    def __init__(self, root: Path = DEFAULT_STORE) -> None:
        self.root = root
        self.index_path = root / INDEX

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def entries(self) -> list[dict[str, Any]]:
        """Newest first."""
        if not self.index_path.exists():
            return []
        try:
            raw = self.index_path.read_bytes()
        except OSError as e:
            raise ComplianceError(
                f"cannot read store index: {e.strerror}", file=str(self.index_path)
            ) from e
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise EvidenceError(f"unreadable store index: {e}", file=str(self.index_path)) from e
        if not isinstance(data, dict) or not isinstance(data.get("bundles"), list):
            raise EvidenceError("store index has no 'bundles' list", file=str(self.index_path))
        bundles: list[dict[str, Any]] = data["bundles"]
        return sorted(
            bundles, key=lambda e: (e.get("evaluated_at", ""), e.get("id", "")), reverse=True
        )

    def add(self, bundle: Bundle) -> dict[str, Any]:
        digest = bundle.sha256
        entry: dict[str, Any] = {
            "id": digest[:16],
            "sha256": digest,
            "file": f"{digest[:16]}.tar.gz",
            "size": len(bundle.data),
            "evaluated_at": bundle.report.evaluated_at,
            "tool": bundle.report.tool,
            "packs": [
                {"name": p.name, "version": p.version, "digest": p.digest}
                for p in bundle.report.packs
            ],
            "inputs": [i["file"] for i in bundle.manifest["inputs"]],
            "summary": bundle.report.summary.model_dump(mode="json"),
            "keyid": bundle.keyid,
        }
        try:
            with self._locked():
                _atomic_write(self.root / str(entry["file"]), bundle.data)
                current = [e for e in self.entries() if e.get("id") != entry["id"]]
                current.append(entry)
                current.sort(key=lambda e: (e.get("evaluated_at", ""), e.get("id", "")))
                _atomic_write(
                    self.index_path,
                    orjson.dumps(
                        {"version": INDEX_VERSION, "bundles": current}, option=orjson.OPT_INDENT_2
                    )
                    + b"\n",
                )
        except OSError as e:
            raise OutputError(
                f"cannot add the bundle to the store: {e.strerror or e}", file=str(self.root)
            ) from e
        return entry

    def get(self, ident: str) -> dict[str, Any]:
        """The entry whose id (or sha256) starts with ``ident``."""
        if len(ident) < 4:
            raise UsageError(f"bundle id {ident!r} is too short (at least 4 characters)")
        matches = [e for e in self.entries() if str(e.get("sha256", "")).startswith(ident)]
        if not matches:
            raise UsageError(f"no bundle {ident!r} in the store {self.root}")
        if len(matches) > 1:
            raise UsageError(
                f"bundle id {ident!r} is ambiguous: {', '.join(e['id'] for e in matches)}"
            )
        return matches[0]

    def path_of(self, entry: dict[str, Any]) -> Path:
        name = str(entry.get("file", ""))
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise EvidenceError(
                f"store index names an unsafe file {name!r}", file=str(self.index_path)
            )
        return self.root / name

    def read(self, ident: str) -> tuple[dict[str, Any], bytes]:
        entry = self.get(ident)
        path = self.path_of(entry)
        try:
            return entry, path.read_bytes()
        except OSError as e:
            raise ComplianceError(
                f"bundle listed in the index is unreadable: {e.strerror}", file=str(path)
            ) from e


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
