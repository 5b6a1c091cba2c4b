"""YAML and JSON files: each document goes to the first document loader that claims it by
content (Kubernetes objects, SecurityConfigs), a JSON Terraform plan to the Terraform loader;
tool configurations, templates and JSON with comments skipped; values the policy engine
cannot take reported at their line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compliance.errors import InputError
from compliance.inputs import foreign, safety
from compliance.inputs.base import DocumentLoader, FileContext, FileLoad
from compliance.inputs.yamlutil import Document, YamlError, document_from_json, load_documents
from compliance.model import LoadError, Resource
from compliance.model.notes import Skipped

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


class YamlJsonLoader:
    """``*.yaml``, ``*.yml`` and ``*.json`` files, by name; what they hold by content."""

    kind = "yaml"
    formats: Mapping[str, str] = {}
    _SUFFIXES = (".yaml", ".yml", ".json")

    def __init__(self, documents: Sequence[DocumentLoader]) -> None:
        self.documents = documents
        """The document loaders, asked in order."""

    def claims(self, name: str) -> bool:
        return name.lower().endswith(self._SUFFIXES)

    def dependencies(self, resource: Resource) -> Iterable[str]:
        return ()

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        """None: its documents' resources are of their document loaders' formats."""

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        out = FileLoad()
        if ctx.rel.lower().endswith(".json"):
            docs = self._json_documents(text, ctx, out)
            if docs is None:
                return out
        else:
            try:
                docs = load_documents(text)
            except YamlError as e:
                if "{{" in text:  # a template, not YAML until rendered
                    out.skipped.append(Skipped(ctx.rel, foreign.TEMPLATE_REASON))
                    return out
                raise InputError(e.message, file=ctx.rel, line=e.line) from e
        self._load_documents(docs, ctx, out, explicit=explicit)
        return out

    def _json_documents(self, text: str, ctx: FileContext, out: FileLoad) -> list[Document] | None:
        """A JSON file's documents; None when it was loaded whole (a Terraform plan) or
        skipped (JSON with comments)."""
        try:
            value = json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as e:
            if foreign.is_jsonc(text):
                out.skipped.append(Skipped(ctx.rel, JSONC_REASON))
                return None
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
            out.format, out.resources = "terraform", terraform.load_plan(value, ctx)
            return None
        # JSON is YAML: re-read with marks so findings get lines.
        try:
            return load_documents(text)
        except YamlError:
            _check_json_value(value, text, ctx)
            return [document_from_json(value)] if value is not None else []

    def _load_documents(
        self, docs: list[Document], ctx: FileContext, out: FileLoad, *, explicit: bool
    ) -> None:
        formats: set[str] = set()
        tools: list[tuple[int, str]] = []
        for doc in docs:
            value = doc.value
            tool = foreign.tool_object(value)
            if tool is not None:
                tools.append((doc.line, tool))
                continue
            loader = next((d for d in self.documents if d.claims_document(value)), None)
            try:
                if loader is not None:
                    formats.add(loader.format)
                    out.resources.extend(loader.load_document(doc, ctx))
                elif explicit:
                    raise InputError(
                        "not a recognised input: expected a Kubernetes object (apiVersion, "
                        "kind) or a SecurityConfig (security table)",
                        file=ctx.rel,
                        line=doc.line,
                    )
            except InputError as e:
                out.errors.append(LoadError(file=e.file or ctx.rel, line=e.line, message=e.message))
        if tools and (formats or len(tools) < len(docs)):  # beside objects of ours
            out.skipped.extend(
                Skipped(ctx.rel, f"document at line {line}: {tool}") for line, tool in tools
            )
        if formats:
            out.format = "+".join(sorted(formats))
            return
        out.resources = []
        if tools and len(tools) == len(docs):
            out.skipped.append(Skipped(ctx.rel, tools[0][1]))
        elif explicit and not docs:
            out.errors.append(LoadError(file=ctx.rel, message="empty file: no YAML/JSON documents"))
        elif not explicit:
            reason = (
                "YAML/JSON without Kubernetes objects or a SecurityConfig" if docs else "empty file"
            )
            out.skipped.append(Skipped(ctx.rel, reason))
