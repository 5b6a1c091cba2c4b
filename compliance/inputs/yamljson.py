"""YAML and JSON files: Kubernetes objects, SecurityConfigs and Terraform plans by content;
tool configurations, templates and JSON with comments skipped; values the policy engine
cannot take reported at their line."""

from __future__ import annotations

import json
from typing import Any

from compliance.errors import InputError
from compliance.inputs import foreign, k8s, safety
from compliance.inputs.base import FileContext, LoadResult
from compliance.inputs.yamlutil import Document, YamlError, document_from_json, load_documents
from compliance.model import LoadError, Resource

JSONC_REASON = (
    "JSON with comments (a tool configuration such as tsconfig.json), not a deployment input"
)


def documents(text: str, ctx: FileContext) -> list[Document]:
    try:
        return load_documents(text)
    except YamlError as e:
        raise InputError(e.message, file=ctx.rel, line=e.line) from e


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _check_json_value(value: Any, text: str, ctx: FileContext) -> None:
    """A JSON value read without line marks: an InputError at the line of the first value
    the engine cannot take."""
    found = safety.find_unsafe(value)
    if found is None:
        return
    path, problem = found
    line = (
        safety.big_int_line(text)
        if problem.startswith("integer")
        else safety.escaped_surrogate_line(text)
    )
    raise InputError(safety.unsafe_message(path, problem), file=ctx.rel, line=line)


def check_resources(resources: list[Resource], ctx: FileContext) -> None:
    """Resources not built from YAML with marks (whose scalars are checked as they are
    read): an InputError at the line of the first value the engine cannot take."""
    for r in resources:
        if r.source.format == "k8s":
            continue
        found = safety.find_unsafe(r.body)
        line: int | None = None
        if found is not None:
            line = safety.line_of(r.lines, found[0]) or r.source.line
        else:
            found = safety.find_unsafe(r.facts, "facts")
            line = r.source.line
        if found is not None:
            path, problem = found
            raise InputError(
                f"{r.kind} {r.name}: {safety.unsafe_message(path, problem)}",
                file=ctx.rel,
                line=line,
            )


def load_yaml_json(
    text: str, ctx: FileContext, result: LoadResult, *, explicit: bool
) -> tuple[str, list[Resource]]:
    if ctx.rel.lower().endswith(".json"):
        try:
            value = json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as e:
            if foreign.is_jsonc(text):
                result.skipped.append({"file": ctx.rel, "reason": JSONC_REASON})
                return "unrecognised", []
            raise InputError(f"invalid JSON: {e.msg}", file=ctx.rel, line=e.lineno) from e
        except _DuplicateKey as e:
            raise InputError(f"invalid JSON: duplicate key {e.key!r}", file=ctx.rel) from e
        except RecursionError as e:
            raise InputError("invalid JSON: nested too deeply", file=ctx.rel) from e
        except ValueError as e:  # an integer over Python's 4,300-digit conversion limit
            raise InputError(
                "integer of more than 4300 digits is too large to read",
                file=ctx.rel,
                line=safety.too_many_digits_line(text),
            ) from e
        from compliance.inputs import terraform

        if terraform.is_plan(value):
            _check_json_value(value, text, ctx)
            return "terraform", terraform.load_plan(value, ctx)
        # JSON is YAML: re-read with marks so findings get lines.
        try:
            docs = load_documents(text)
        except YamlError:
            _check_json_value(value, text, ctx)
            docs = [document_from_json(value)] if value is not None else []
    else:
        try:
            docs = load_documents(text)
        except YamlError as e:
            if "{{" in text:  # a template, not YAML until rendered
                result.skipped.append({"file": ctx.rel, "reason": foreign.TEMPLATE_REASON})
                return "unrecognised", []
            raise InputError(e.message, file=ctx.rel, line=e.line) from e
    resources: list[Resource] = []
    formats: set[str] = set()
    tools: list[tuple[int, str]] = []
    for doc in docs:
        value = doc.value
        try:
            if isinstance(value, dict) and "apiVersion" in value and "kind" in value:
                tool = foreign.tool_document(value)
                if tool is not None:
                    tools.append((doc.line, tool))
                    continue
                formats.add("k8s")
                resources.extend(k8s.load_document(doc, ctx))
            elif isinstance(value, dict) and isinstance(value.get("security"), dict):
                from compliance.inputs import securityconfig

                formats.add("securityconfig")
                resources.extend(securityconfig.load_document(doc, ctx))
            elif explicit:
                raise InputError(
                    "not a recognised input: expected a Kubernetes object (apiVersion, kind) "
                    "or a SecurityConfig (security table)",
                    file=ctx.rel,
                    line=doc.line,
                )
        except InputError as e:
            result.errors.append(LoadError(file=e.file or ctx.rel, line=e.line, message=e.message))
    if tools and (formats or len(tools) < len(docs)):  # beside objects of ours
        result.skipped.extend(
            {"file": ctx.rel, "reason": f"document at line {line}: {tool}"} for line, tool in tools
        )
    if not formats:
        if tools and len(tools) == len(docs):
            result.skipped.append({"file": ctx.rel, "reason": tools[0][1]})
        elif explicit and not docs:
            result.errors.append(
                LoadError(file=ctx.rel, message="empty file: no YAML/JSON documents")
            )
        elif not explicit:
            reason = (
                "YAML/JSON without Kubernetes objects or a SecurityConfig" if docs else "empty file"
            )
            result.skipped.append({"file": ctx.rel, "reason": reason})
        return "unrecognised", []
    return "+".join(sorted(formats)), resources
