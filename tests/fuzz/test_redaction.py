"""Redaction: a secret planted in any format, under any secret-looking name, in any scalar
style, never reaches a bundle's input copy; identifiers never change in a report."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from compliance.evidence.bundle import redact_inputs
from compliance.evidence.redact import redact_report
from compliance.inputs import LoadOptions, load_paths
from compliance.model import Report
from compliance.model.report import Finding, ResourceRef, Summary
from compliance.secrets.mask import redact_text
from tests.fuzz.corpus import PLANTERS, SECRET_NAMES, STYLES, mutated, planted_value, shaped_value

OPTIONS = LoadOptions(env={})


@given(
    file=st.sampled_from(sorted(PLANTERS)),
    name=st.sampled_from(SECRET_NAMES),
    style=st.sampled_from(STYLES),
    value=st.one_of(planted_value(), shaped_value()),
)
def test_a_planted_secret_never_reaches_the_bundle_copy(
    file: str, name: str, style: str, value: str
) -> None:
    text = PLANTERS[file](name, value, style)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / file).write_text(text, encoding="utf-8")
        loaded = load_paths([tmp], OPTIONS)
    assert not loaded.errors, (loaded.errors, text)
    texts, _, _ = redact_inputs(loaded)
    (out,) = texts.values()
    assert out.count("\n") == text.count("\n")
    assert value[1:] not in out, (text, out)  # [1:]: the first character may be an escape
    assert value[::-1] not in out or style not in ("block", "folded"), (text, out)


@given(case=mutated(), value=shaped_value())
def test_a_shaped_value_in_a_mutated_input_is_masked(case: tuple[str, bytes], value: str) -> None:
    """A credential shape inserted anywhere in a mutated fixture text is masked by the
    text rules whatever the parser made of the file."""
    _, data = case
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    lines.insert(len(lines) // 2, f"note: {value}")
    planted = "\n".join(lines)
    out = redact_text(planted, rel="x.yaml").text
    assert out.count("\n") == planted.count("\n")
    assume(not value.startswith("Pu"))  # a plain value without a shape is not a secret here
    assert value not in out


_ident = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=24)


@given(
    file=_ident, name=_ident, namespace=_ident, secrets=st.lists(_ident, max_size=4), message=_ident
)
def test_report_identifiers_never_change(
    file: str, name: str, namespace: str, secrets: list[str], message: str
) -> None:
    finding = Finding(
        check_id="SEC-01",
        severity="high",
        message=message,
        file=file,
        line=1,
        path=name,
        resource=ResourceRef(
            id=f"k8s:v1/Pod:{namespace}/{name}", kind="Pod", name=name, namespace=namespace
        ),
        controls=[],
        fingerprint="0" * 32,
    )
    report = Report(
        tool={"name": "compliance", "version": "0"},
        engine={"name": "x", "version": "0"},
        evaluated_at="2026-01-01T00:00:00Z",
        packs=[],
        summary=Summary(resources=1, findings=1, by_severity={}, controls={}),
        controls=[],
        findings=[finding],
    )
    out = redact_report(report, [*secrets, file, name, namespace])
    (got,) = out.findings
    assert (got.file, got.path, got.resource) == (file, name, finding.resource)
