"""Dockerfiles: one Resource per file, with stages, instructions and the facts checks need."""

from __future__ import annotations

import fnmatch
import io
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from compliance.errors import InputError
from compliance.inputs.base import FileContext, FileLoad
from compliance.model import Resource
from compliance.secrets.collect import add_env_entries

NAMES = ("Dockerfile", "*.Dockerfile", "Dockerfile.*", "*.dockerfile")
_NAME = re.compile("|".join(fnmatch.translate(p) for p in NAMES))

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def load(text: str, ctx: FileContext) -> list[Resource]:
    from dockerfile_parse import DockerfileParser  # imported when a Dockerfile is read

    try:
        parser = DockerfileParser(fileobj=io.BytesIO(), env_replace=False)
        parser.content = text
        structure = parser.structure
    except Exception as e:  # dockerfile-parse raises bare exceptions on odd input
        raise InputError(f"parse Dockerfile: {e}", file=ctx.rel) from e

    entries = [e for e in structure if e["instruction"] != "COMMENT"]
    if not entries:
        raise InputError("empty Dockerfile (no instructions)", file=ctx.rel, line=1)

    global_args: dict[str, str] = {}
    stages: list[dict[str, Any]] = []
    flat: list[dict[str, Any]] = []
    env: list[dict[str, Any]] = []
    base_images: list[dict[str, Any]] = []
    lines: dict[str, int] = {}

    for entry in entries:
        instruction = str(entry["instruction"]).upper()
        value = str(entry["value"])
        line = int(entry["startline"]) + 1
        if instruction == "FROM":
            image, alias = _split_from(value)
            if not image:
                raise InputError("FROM without an image", file=ctx.rel, line=line)
            stage_index = len(stages)
            known = {s["name"].lower(): s["index"] for s in stages if s["name"]}
            is_ref = image.lower() in known
            stages.append(
                {
                    "index": stage_index,
                    "name": alias,
                    "from": image,
                    "line": line,
                    "instructions": [],
                }
            )
            ref = _image_ref(_substitute(image, global_args))
            base_images.append(
                {
                    **ref,
                    "stage": stage_index,
                    "line": line,
                    "is_stage_ref": is_ref,
                    "stage_ref": known.get(image.lower()),
                }
            )
        elif not stages and instruction != "ARG":
            raise InputError(f"{instruction} before the first FROM", file=ctx.rel, line=line)
        stage = stages[-1]["index"] if stages else None
        item = {"instruction": instruction, "value": value, "line": line, "stage": stage}
        lines[f"instructions[{len(flat)}]"] = line
        flat.append(item)
        if stages:
            own = stages[-1]["instructions"]
            lines[f"stages[{stage}].instructions[{len(own)}]"] = line
            own.append({"instruction": instruction, "value": value, "line": line})
            lines[f"stages[{stage}]"] = stages[-1]["line"]
        if instruction in ("ENV", "ARG"):
            pairs = _pairs(value, instruction)
            for name, val in pairs:
                env.append({"name": name, "value": val, "line": line, "instruction": instruction})
                if stage is None and instruction == "ARG" and val is not None:
                    global_args[name] = val

    if not stages:
        raise InputError("no FROM instruction", file=ctx.rel, line=1)

    final = len(stages) - 1
    return [
        ctx.resource(
            id=f"dockerfile:{ctx.rel}",
            kind="Dockerfile",
            name=ctx.rel,
            format="dockerfile",
            line=1,
            end_line=int(entries[-1]["endline"]) + 1,
            body={"stages": stages, "instructions": flat},
            facts={
                "final_stage": final,
                "final_user": _inherited(stages, base_images, final, _last_user),
                "has_healthcheck": bool(_inherited(stages, base_images, final, _healthcheck)),
                "base_images": base_images,
                "env": env,
            },
            lines=lines,
        )
    ]


def _split_from(value: str) -> tuple[str, str | None]:
    words = [w for w in value.split() if not w.startswith("--")]
    if not words:
        return "", None
    alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return words[0], alias


def _substitute(value: str, args: dict[str, str]) -> str:
    return _VAR.sub(lambda m: args.get(m.group(1) or m.group(2), m.group(0)), value)


def _image_ref(image: str) -> dict[str, Any]:
    name, _, digest_part = image.partition("@")
    digest = digest_part or None
    tag: str | None = None
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return {"image": name, "tag": tag, "digest": digest, "reference": image}


def _pairs(value: str, instruction: str) -> list[tuple[str, str | None]]:
    """``ENV a=1 b=2``, ``ENV a 1`` (legacy: rest of line), ``ARG X``, ``ARG X=default``."""
    try:
        words = shlex.split(value, posix=True)
    except ValueError:
        words = value.split()
    if not words:
        return []
    if instruction == "ENV" and "=" not in words[0]:
        rest = value.strip()[len(value.strip().split(None, 1)[0]) :].strip()
        return [(words[0], _unquote(rest))]
    out: list[tuple[str, str | None]] = []
    for w in words:
        name, sep, val = w.partition("=")
        out.append((name, val if sep else None))
    return out


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _last_user(stage: dict[str, Any]) -> str | None:
    users = [i["value"].strip() for i in stage["instructions"] if i["instruction"] == "USER"]
    return users[-1] if users else None


def _healthcheck(stage: dict[str, Any]) -> bool | None:
    checks = [
        i["value"].strip() for i in stage["instructions"] if i["instruction"] == "HEALTHCHECK"
    ]
    if not checks:
        return None
    return bool(checks[-1].upper() != "NONE")


def _inherited(
    stages: list[dict[str, Any]], base_images: list[dict[str, Any]], index: int, get: Any
) -> Any:
    """A setting of ``index``'s stage, or of the earlier stage it is built ``FROM``."""
    seen: set[int] = set()
    current: int | None = index
    while current is not None and current not in seen:
        seen.add(current)
        found = get(stages[current])
        if found is not None:
            return found
        current = base_images[current]["stage_ref"]
    return None


class DockerfileLoader:
    """Dockerfiles, by name: one resource per file."""

    kind = "dockerfile"
    formats: Mapping[str, str] = {"dockerfile": "Dockerfile, *.Dockerfile, Dockerfile.*"}

    def claims(self, name: str) -> bool:
        return _NAME.match(name) is not None

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        return FileLoad(format="dockerfile", resources=load(text, ctx))

    def dependencies(self, resource: Resource) -> Iterable[str]:
        return ()

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        """``ENV`` and ``ARG`` values that are secret literals or credentials."""
        add_env_entries(resource.facts.get("env") or [], values)


LOADER = DockerfileLoader()
