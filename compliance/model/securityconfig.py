"""The BPI application SecurityConfig (DESIGN.md section 3)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TlsVersion = Literal["1.0", "1.1", "1.2", "1.3"]


# defer_build: the schemas are built when a SecurityConfig is first validated, not at
# import (a warm cached run parses none and saves ~15 ms of start-up)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class TlsConfig(_Strict):
    enabled: bool = False
    min_version: TlsVersion = "1.2"
    cipher_suites: list[str] | None = None
    cert_file: str | None = None
    key_file: str | None = None
    client_auth: Literal["none", "request", "require"] = "none"


class Role(_Strict):
    name: str
    permissions: list[str] = Field(default_factory=list)


class Binding(_Strict):
    subject: str
    role: str


class AuthConfig(_Strict):
    methods: list[Literal["none", "password", "api_key", "oidc", "mtls"]] = Field(
        default_factory=list
    )
    mfa_required: bool = False
    allow_anonymous: bool = False
    session_timeout_minutes: int | None = None
    password_min_length: int | None = None
    roles: list[Role] = Field(default_factory=list)
    bindings: list[Binding] = Field(default_factory=list)


class FirewallRule(_Strict):
    name: str
    direction: Literal["ingress", "egress"] = "ingress"
    action: Literal["allow", "deny"] = "allow"
    protocol: Literal["tcp", "udp", "icmp", "any"] = "tcp"
    ports: list[int] | None = None
    sources: list[str] = Field(default_factory=list)
    destinations: list[str] = Field(default_factory=list)


class AuditConfig(_Strict):
    enabled: bool = False
    events: list[str] = Field(default_factory=list)
    retention_days: int | None = None
    immutable: bool = False
    sink: str | None = None


class Security(_Strict):
    tls_config: TlsConfig = Field(default_factory=TlsConfig)
    auth_config: AuthConfig = Field(default_factory=AuthConfig)
    firewall_rules: list[FirewallRule] = Field(default_factory=list)
    audit_config: AuditConfig = Field(default_factory=AuditConfig)


class Backup(_Strict):
    enabled: bool = False
    retention_days: int | None = None
    encrypted: bool | None = None
    cross_region: bool | None = None


class Storage(_Strict):
    data_dir: str | None = None
    encryption_at_rest: bool = False
    backup: Backup = Field(default_factory=Backup)


class Network(_Strict):
    listen_addr: str | None = None


class SecurityConfig(BaseModel):
    """Unknown top-level tables (node, consensus, ...) are allowed; the security-relevant
    tables are strict so that a typo is an error, not a silently ignored setting."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    network: Network = Field(default_factory=Network)
    storage: Storage = Field(default_factory=Storage)
    security: Security
