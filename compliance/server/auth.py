"""Bearer tokens from a YAML file, stored only as SHA-256 hashes, compared in constant time.

```yaml
tokens:
  - {name: ci, role: admin, sha256: <hex of sha256(token)>}
  - {name: auditor-jane, role: auditor, sha256: ...}
```
Roles: ``auditor`` reads (bundle list, download, verify); ``admin`` reads and writes.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.errors import UsageError

Role = Literal["admin", "auditor"]
ROLE_GRANTS: dict[Role, frozenset[str]] = {
    "auditor": frozenset({"read"}),
    "admin": frozenset({"read", "write"}),
}


class Token(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class TokenFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: list[Token]


class Tokens:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = [(bytes.fromhex(t.sha256), t) for t in tokens]

    @classmethod
    def load(cls, path: Path) -> Tokens:
        where = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise UsageError(f"cannot read tokens file: {e.strerror}", file=where) from e
        except yaml.YAMLError as e:
            raise UsageError("tokens file is not valid YAML", file=where) from e
        try:
            parsed = TokenFile.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            at = ".".join(str(p) for p in first["loc"])
            # never echo the offending value: it could be a token pasted by mistake
            raise UsageError(f"invalid tokens file at {at}: {first['msg']}", file=where) from None
        names = [t.name for t in parsed.tokens]
        if len(set(names)) != len(names):
            raise UsageError("token names must be unique", file=where)
        return cls(parsed.tokens)

    def identify(self, presented: str) -> Token | None:
        """The token whose hash matches; every stored hash is compared, each in constant time."""
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found: Token | None = None
        for stored, token in self._tokens:
            if hmac.compare_digest(stored, digest):
                found = token
        return found

    def __len__(self) -> int:
        return len(self._tokens)


def allows(role: Role, action: str) -> bool:
    return action in ROLE_GRANTS[role]
