"""Redaction of secret values before anything enters a bundle or a report.

What is masked is decided by ``compliance.secrets``, the one detector the loaders share:
secret values are collected from the parsed resources (``collect_secrets``: each resource's
loader says what its format makes secret) and from the raw
structure of JSON inputs; an input's copy in a bundle is masked on the values' source spans
and by line rules (``redact_text``), and a report's strings by the collected values and known
credential shapes.

A report's identifiers are never rewritten: files, paths, resource ids, kinds, names and
namespaces are shown as loaded, and a collected value that occurs in one of them as a whole
word is not masked in messages either (it is shown there anyway, and masking it would only
garble the message: a service ``gitea`` whose password is ``gitea``). Messages are the
tool's own words: only values and credential shapes are masked in them, never a
``NAME value`` pair that a line rule would read (``ENV API_TOKEN bakes ...``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from compliance.inputs.base import LoadedFiles
from compliance.inputs.registry import collect_secrets
from compliance.model import Report
from compliance.secrets.collect import collect_from_text
from compliance.secrets.detect import MASK
from compliance.secrets.mask import (
    Redacted,
    mask_shapes,
    may_need_shape_mask,
    redact_text,
    value_patterns,
)

if TYPE_CHECKING:
    from compliance.inputs import LoadResult

__all__ = [
    "MASK",
    "Redacted",
    "collect_secrets",
    "input_secrets",
    "redact_report",
    "redact_text",
    "scrub",
]

Patterns = Sequence[tuple[str, re.Pattern[str]]]


def input_secrets(loaded: LoadResult) -> set[str]:
    """Every secret value in the inputs: collected from the parsed resources (already in
    memory) and from the raw structure of JSON inputs. What a report is scrubbed of; cheap
    next to ``redact_inputs``, which also rewrites every input's text for a bundle."""
    if isinstance(loaded, LoadedFiles):
        # collected where each file was parsed; resources added since (stdin) walked here
        secrets_by_file = {rel: set(v) for rel, v in loaded.secrets.items() if v}
        known = loaded.secrets.keys()
        rest = [r for r in loaded.resources if r.source.file not in known]
        for rel, values in collect_secrets(rest).items():
            secrets_by_file.setdefault(rel, set()).update(values)
    else:
        secrets_by_file = collect_secrets(loaded.resources)
    for rel, text in loaded.texts.items():
        if rel.lower().endswith(".json"):  # collect_from_text reads JSON documents only
            secrets_by_file.setdefault(rel, set()).update(collect_from_text(rel, text))
    return set().union(*secrets_by_file.values()) if secrets_by_file else set()


# ---------------------------------------------------------------- reports

IDENTIFIER_KEYS = frozenset({"file", "path", "id", "kind", "name", "namespace", "resource"})
"""Keys whose strings identify something (anywhere in a report): never rewritten."""

_TOOL_FIELDS = {
    # what the tool and the packs write, or identifiers: never scrubbed
    "findings": frozenset(
        {
            "check_id",
            "title",
            "severity",
            "status",
            "line",
            "controls",
            "remediation",
            "fingerprint",
            "waived_controls",
        }
    )
    | IDENTIFIER_KEYS,
    "inputs": None,  # files, formats, digests and counts only
    "resources": None,  # the population: identifiers only
    "controls": None,  # pack data and counts only
}


def scrub(value: Any, patterns: Patterns) -> Any:
    """Mask every secret value and credential shape in every string of a JSON-like value
    (identifier keys skipped)."""
    if isinstance(value, str):
        return _scrub_string(value, patterns)
    if isinstance(value, dict):
        return {k: v if k in IDENTIFIER_KEYS else scrub(v, patterns) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, patterns) for v in value]
    return value


def _scrub_string(value: str, patterns: Patterns) -> str:
    for secret, pattern in patterns:
        if secret in value:
            value = pattern.sub(MASK, value)
    return mask_shapes(value)


def report_patterns(
    secrets: Iterable[str], identifiers: Iterable[str]
) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns of the secret values that no identifier holds as a whole word."""
    blob = "\n".join(i for i in identifiers if i)
    return [
        (secret, pattern)
        for secret, pattern in value_patterns(secrets)
        if secret not in blob or not pattern.search(blob)
    ]


def _split(
    value: Any,
    texts: Callable[[str], None],
    identifiers: Callable[[str], None],
    ident: bool = False,
) -> None:
    """Every string of a JSON-like value to ``texts``, or to ``identifiers`` when it sits
    under an identifier key."""
    if isinstance(value, str):
        (identifiers if ident else texts)(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _split(v, texts, identifiers, ident or k in IDENTIFIER_KEYS)
    elif isinstance(value, list):
        for v in value:
            _split(v, texts, identifiers, ident)


def _finding_strings(
    findings: Iterable[tuple[Any, str, Iterable[str | None]]],
    texts: set[str],
    identifiers: set[str],
) -> None:
    """(waiver, message, identifier strings) per finding."""
    for waiver, message, idents in findings:
        texts.add(message)
        identifiers.update(i for i in idents if i)
        if waiver is not None:
            _split(waiver, texts.add, identifiers.add)


def _rest_strings(data: dict[str, Any], texts: set[str], identifiers: set[str]) -> None:
    """The strings of a report's JSON data apart from its findings and the tool's fields,
    and the identifiers of its inputs and population."""
    for key, value in data.items():
        if key == "findings":
            continue
        if key in ("inputs", "resources") and isinstance(value, list):
            _split(value, identifiers.add, identifiers.add)
        elif key not in _TOOL_FIELDS:
            _split(value, texts.add, identifiers.add)


def _report_strings(report: Report) -> tuple[set[str], set[str]]:
    """(strings to scrub, identifier strings) of a report, its findings read off the models."""
    texts: set[str] = set()
    identifiers: set[str] = set()
    _finding_strings(
        (
            (f.waiver, f.message, (f.file, f.path, r.id, r.kind, r.name, r.namespace))
            for f in report.findings
            for r in (f.resource,)
        ),
        texts,
        identifiers,
    )
    # the population and the inputs hold identifiers only: read off the models (tens of
    # thousands of entries in a large run), the rest dumped as JSON data
    for entry in (*report.resources, *report.inputs):
        for value in entry.__dict__.values():
            if isinstance(value, str):
                identifiers.add(value)
            elif isinstance(value, list):
                identifiers.update(value)
    data = report.model_dump(mode="json", exclude={"findings", "controls", "resources", "inputs"})
    _rest_strings(data, texts, identifiers)
    return texts, identifiers


def _all_clean(strings: Iterable[str], patterns: Patterns) -> bool:
    """``all(_scrub_string(s, patterns) == s for s in strings)`` in a few passes over the
    strings joined by newlines (a report has ~10k distinct strings): each secret value is
    looked for once in the whole text, and the shape rules run only on the strings that
    hold a hint of a shape."""
    items = [s for s in strings if s]
    blob = "\n".join(items)
    for secret, pattern in patterns:
        if secret in blob and any(pattern.search(s) for s in items if secret in s):
            return False
    if not may_need_shape_mask(blob):
        return True
    return all(mask_shapes(s) == s for s in _hinted(items))


def _hinted(items: list[str]) -> Iterator[str]:
    return (s for s in items if may_need_shape_mask(s))


def redact_report(report: Report, secrets: Iterable[str]) -> Report:
    """The report with secret values and credential shapes removed from messages,
    waivers, errors and extras; identifiers and the tool's own fields are kept as they are.

    Each distinct string is scrubbed once (messages repeat across thousands of findings);
    when nothing changes the report itself is returned."""
    texts, identifiers = _report_strings(report)
    patterns = report_patterns(secrets, identifiers)
    if _all_clean(texts, patterns):
        return report
    memo: dict[str, str] = {}
    changed = False

    def one(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            out = memo.get(value)
            if out is None:
                out = memo[value] = _scrub_string(value, patterns)
            if out != value:
                changed = True
            return out
        if isinstance(value, dict):
            return {k: v if k in IDENTIFIER_KEYS else one(v) for k, v in value.items()}
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    data = report.model_dump(mode="json")
    for key, value in data.items():
        if key in _TOOL_FIELDS and isinstance(value, list):
            skip = _TOOL_FIELDS[key]
            if skip is not None:
                data[key] = [
                    {k: v if k in skip else one(v) for k, v in item.items()}
                    if isinstance(item, dict)
                    else one(item)
                    for item in value
                ]
        else:
            data[key] = one(value)
    return Report.model_validate(data) if changed else report
