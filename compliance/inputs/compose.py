"""docker-compose files: one Resource per service, with environment and ports normalized."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compliance.errors import InputError
from compliance.inputs import yamljson
from compliance.inputs.base import FileContext, FileLoad
from compliance.inputs.envfiles import (
    env_file_names,
    interpolate,
    read_env_file,
    referenced_names,
)
from compliance.inputs.k8s_service import HTTP_PORTS, TLS_PORTS
from compliance.inputs.yamlutil import Document
from compliance.model import Resource
from compliance.secrets.collect import add_env_entries

NAMES = ("compose*.yml", "compose*.yaml", "docker-compose*.yml", "docker-compose*.yaml")
_NAME = re.compile("|".join(fnmatch.translate(p) for p in NAMES))


def load_document(doc: Document, ctx: FileContext) -> list[Resource]:
    value = doc.value
    services = value.get("services") if isinstance(value, dict) else None
    if not isinstance(services, dict):
        raise InputError("compose file without a services mapping", file=ctx.rel, line=doc.line)
    base = ctx.path.parent
    dotenv = read_env_file(base, ".env") if ctx.path.is_file() else {"found": False, "entries": []}
    out: list[Resource] = []
    for name, service in services.items():
        prefix = f"services.{name}"
        line = doc.lines.get(prefix, doc.line)
        if service is None:
            service = {}
        if not isinstance(service, dict):
            raise InputError(f"service {name!r} must be a mapping", file=ctx.rel, line=line)
        lines = {
            k[len(prefix) + 1 :]: v for k, v in doc.lines.items() if k.startswith(prefix + ".")
        }
        out.append(
            ctx.resource(
                id=f"compose:{ctx.rel}#{name}",
                kind="ComposeService",
                name=str(name),
                format="compose",
                line=line,
                body=service,
                facts={
                    "environment": _resolve(
                        _environment(service.get("environment"), lines, line), dotenv
                    ),
                    "ports": _ports(service.get("ports"), lines, line, ctx),
                    "image": service["image"] if isinstance(service.get("image"), str) else None,
                    "has_healthcheck": _has_healthcheck(service.get("healthcheck")),
                    "env_files": _env_files(service.get("env_file"), lines, line, base),
                    "dotenv": _dotenv_used(dotenv, service),
                },
                lines=lines,
            )
        )
    return out


def _env_files(value: Any, lines: dict[str, int], default: int, base: Path) -> list[dict[str, Any]]:
    """Each ``env_file`` the service names, read, with the line of its entry."""
    out = []
    for index, written in env_file_names(value):
        path = "env_file" if index is None else f"env_file[{index}]"
        out.append({**read_env_file(base, written), "line": lines.get(path, default)})
    return out


def _dotenv_used(dotenv: dict[str, Any], service: dict[str, Any]) -> dict[str, Any]:
    """The project ``.env`` (when present) with only the variables ``service`` interpolates."""
    if not dotenv["found"]:
        return {"file": ".env", "found": False, "entries": []}
    used = referenced_names(service)
    return {**dotenv, "entries": [e for e in dotenv["entries"] if e["name"] in used]}


def _resolve(entries: list[dict[str, Any]], dotenv: dict[str, Any]) -> list[dict[str, Any]]:
    """Each entry whose value interpolates gets ``resolved`` (the value compose would set,
    from the project ``.env`` and the defaults written inline) and ``sources`` (the ``.env``
    variables it took, with their lines): what SEC-01 judges. The shell environment of the
    machine that runs compose is not known here: a variable set nowhere becomes empty."""
    variables: dict[str, str] = {}
    where: dict[str, int] = {}
    for e in dotenv["entries"] if dotenv["found"] else []:
        variables[e["name"]] = e["value"]
        where[e["name"]] = e["line"]
    for entry in entries:
        value = entry["value"]
        done = interpolate(value, variables) if isinstance(value, str) else None
        if done is not None:
            entry["resolved"] = done[0]
            entry["sources"] = [
                {"name": n, "file": ".env", "line": where[n]} for n in dict.fromkeys(done[1])
            ]
    return entries


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _environment(env: Any, lines: dict[str, int], default: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(env, dict):
        for k, v in env.items():
            path = f"environment.{k}"
            value = _scalar(v)
            out.append(
                {"name": str(k), "value": value, "line": lines.get(path, default), "path": path}
            )
    elif isinstance(env, list):
        for i, item in enumerate(env):
            name, sep, val = str(item).partition("=")
            path = f"environment[{i}]"
            line = lines.get(path, default)
            out.append({"name": name, "value": val if sep else None, "line": line, "path": path})
    return out


def _ports(
    ports: Any, lines: dict[str, int], default: int, ctx: FileContext
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not isinstance(ports, list):
        return out
    for i, item in enumerate(ports):
        line = lines.get(f"ports[{i}]", default)
        if isinstance(item, dict):
            published, target = _scalar(item.get("published")), _scalar(item.get("target"))
            out.append(
                {
                    "published": published,
                    "target": target,
                    "host_ip": item.get("host_ip"),
                    "protocol": item.get("protocol", "tcp"),
                    "line": line,
                    "transport": port_transport(published, target),
                }
            )
            continue
        text = str(item)
        host_ip: str | None = None
        proto = "tcp"
        if "/" in text:
            text, proto = text.rsplit("/", 1)
        parts = text.rsplit(":", 2) if not text.startswith("[") else _split_v6(text)
        if len(parts) == 3:
            host_ip, published, target = parts
        elif len(parts) == 2:
            published, target = parts
        else:
            published, target = "", parts[0]
        if not target:
            raise InputError(f"invalid port {item!r}", file=ctx.rel, line=line)
        out.append(
            {
                "published": published or None,
                "target": target,
                "host_ip": (host_ip.strip("[]") or None) if host_ip is not None else None,
                "protocol": proto,
                "line": line,
                "transport": port_transport(published or None, target),
            }
        )
    return out


def _port_number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def port_transport(published: str | None, target: str | None) -> str | None:
    """``"tls"``, ``"http"`` or None (no evidence): what the host or the container port
    number says about the transport of one published port (443/8443, 80/8080)."""
    numbers = {_port_number(published), _port_number(target)}
    if numbers & TLS_PORTS:
        return "tls"
    if numbers & HTTP_PORTS:
        return "http"
    return None


def _split_v6(text: str) -> list[str]:
    host, _, rest = text.partition("]:")
    return [host + "]", *rest.split(":", 1)]


def _has_healthcheck(hc: Any) -> bool:
    if not isinstance(hc, dict):
        return False
    if hc.get("disable") is True:
        return False
    test = hc.get("test")
    if test is None:
        return False
    if isinstance(test, list):
        return bool(test) and str(test[0]).upper() != "NONE"
    return str(test).strip().upper() != "NONE" and bool(str(test).strip())


class ComposeLoader:
    """docker-compose files, by name: one resource per service."""

    kind = "compose"
    formats: Mapping[str, str] = {"compose": "compose*.y*ml, docker-compose*.y*ml"}

    def claims(self, name: str) -> bool:
        return _NAME.match(name) is not None

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        resources: list[Resource] = []
        for doc in yamljson.documents(text, ctx):
            resources.extend(load_document(doc, ctx))
        return FileLoad(format="compose", resources=resources)

    def dependencies(self, resource: Resource) -> Iterable[str]:
        """The project's ``.env`` (read or not: creating it changes the load) and each
        ``env_file`` that was read."""
        yield ".env"
        for entry in resource.facts.get("env_files") or []:
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("file"), str)
                and not str(entry.get("error", "")).endswith("not read")
            ):
                yield entry["file"]

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        entries = resource.facts.get("environment") or []
        add_env_entries(entries, values)
        add_env_entries(
            [{"name": e["name"], "value": e["resolved"]} for e in entries if "resolved" in e],
            values,
        )


LOADER = ComposeLoader()
