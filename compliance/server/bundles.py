"""What the server needs from an evidence store: list, open, verify.

``StoreBundles`` is the evidence store (``compliance evaluate --store``) with signature
verification; ``DirectoryBundles`` serves the ``*.tar.gz`` files of a plain folder.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from compliance.errors import EvidenceError
from compliance.evidence.store import Store
from compliance.evidence.verify import verify_bundle
from compliance.timestamps import rfc3339

BUNDLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class BundleInfo:
    id: str
    size: int
    sha256: str
    created: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "sha256": self.sha256,
            "created": self.created,
            **self.metadata,
        }


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class BundleStore(Protocol):
    def list(self) -> list[BundleInfo]: ...

    def path(self, bundle_id: str) -> Path | None:
        """The bundle's file, or None when there is no such bundle."""
        ...

    def verify(self, bundle_id: str) -> Verification | None:
        """None when there is no such bundle."""
        ...


Verifier = Callable[[Path], Verification]


class DirectoryBundles:
    """Bundles are the ``*.tar.gz`` files directly inside ``root``; the id is the name without suffix."""

    def __init__(self, root: Path, verifier: Verifier | None = None) -> None:
        self.root = root
        self._verifier = verifier
        self._digests: dict[tuple[str, int, int], str] = {}

    def list(self) -> list[BundleInfo]:
        if not self.root.is_dir():
            return []
        out = []
        for p in sorted(self.root.glob(f"*{SUFFIX}")):
            bundle_id = p.name[: -len(SUFFIX)]
            if p.is_file() and not p.is_symlink() and BUNDLE_ID.match(bundle_id):
                out.append(self._info(bundle_id, p))
        return out

    def path(self, bundle_id: str) -> Path | None:
        if not BUNDLE_ID.match(bundle_id):
            return None
        p = self.root / f"{bundle_id}{SUFFIX}"
        return p if p.is_file() and not p.is_symlink() else None

    def verify(self, bundle_id: str) -> Verification | None:
        p = self.path(bundle_id)
        if p is None:
            return None
        if self._verifier is None:
            return Verification(
                ok=False,
                message="no verification key configured on the server; verify offline with "
                "`compliance evidence verify BUNDLE --key PUB`",
                details={"sha256": self._info(bundle_id, p).sha256},
            )
        return self._verifier(p)

    def _info(self, bundle_id: str, p: Path) -> BundleInfo:
        st = p.stat()
        key = (bundle_id, st.st_size, st.st_mtime_ns)
        digest = self._digests.get(key)
        if digest is None:
            h = hashlib.sha256()
            with p.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            digest = self._digests[key] = h.hexdigest()
        created = rfc3339(datetime.fromtimestamp(st.st_mtime, UTC))
        return BundleInfo(id=bundle_id, size=st.st_size, sha256=digest, created=created)


class StoreBundles:
    """The evidence store (``compliance.evidence.store.Store``): bundles by index entry id,
    verified with ``compliance.evidence.verify.verify_bundle`` against the publisher's key."""

    def __init__(self, root: Path, key: Ed25519PublicKey | None = None) -> None:
        self.store = Store(root)
        self.key = key

    def list(self) -> list[BundleInfo]:
        out = []
        for e in self.store.entries():
            meta: dict[str, Any] = {
                k: e[k]
                for k in ("evaluated_at", "packs", "summary", "inputs", "keyid", "tool")
                if k in e
            }
            out.append(
                BundleInfo(
                    id=str(e.get("id", "")),
                    size=int(e.get("size", 0)),
                    sha256=str(e.get("sha256", "")),
                    created=str(e.get("evaluated_at", "")),
                    metadata=meta,
                )
            )
        return out

    def path(self, bundle_id: str) -> Path | None:
        if not BUNDLE_ID.match(bundle_id):
            return None
        for e in self.store.entries():
            if e.get("id") == bundle_id:
                p = self.store.path_of(e)
                return p if p.is_file() and not p.is_symlink() else None
        return None

    def verify(self, bundle_id: str) -> Verification | None:
        p = self.path(bundle_id)
        if p is None:
            return None
        if self.key is None:
            return Verification(
                ok=False,
                message="no verification key configured on the server (--verify-key); verify offline with "
                "`compliance evidence verify BUNDLE --key PUB`",
            )
        try:
            checked = verify_bundle(p.read_bytes(), self.key, bundle_id)
        except EvidenceError as e:
            return Verification(ok=False, message=e.message)
        except OSError as e:
            return Verification(ok=False, message=f"cannot read bundle: {e.strerror}")
        return Verification(ok=True, message="verified", details={"checked": checked})
