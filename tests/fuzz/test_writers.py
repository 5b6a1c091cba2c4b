"""The report writers over real evaluations of mutated and planted inputs: every format
renders, every error names its file, no planted secret appears in any output, a signed
bundle included."""

from __future__ import annotations

import io
import tarfile
import tempfile
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from compliance.evaluation.evaluator import Evaluator
from compliance.evidence.bundle import build_bundle
from compliance.evidence.redact import input_secrets, redact_report
from compliance.formats import FORMATS, renderer
from compliance.inputs import LoadOptions, load_paths
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded
from tests.fuzz.corpus import PLANTERS, SECRET_NAMES, STYLES, mutated, planted_value, shaped_value

OPTIONS = LoadOptions(env={}, max_file_bytes=256 * 1024)
KEY = Ed25519PrivateKey.generate()


@cache
def evaluator() -> Evaluator:
    return build_evaluator(RunOptions())


def outputs(files: dict[str, bytes], *, bundle: bool) -> dict[str, str]:
    """Every format of the report over ``files`` (and the bundle's members), as the CLI
    writes them: evaluated, then scrubbed of the inputs' secret values."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        loaded = load_paths([tmp], OPTIONS)
        report = evaluate_loaded(evaluator(), loaded, RunOptions())
        for error in report.errors:
            assert error.file.startswith(tmp) or error.file.startswith("engine"), error
        safe = redact_report(report, input_secrets(loaded))
        out = {fmt: renderer(fmt)(safe) for fmt in FORMATS}
        if bundle:
            built = build_bundle(report, loaded, KEY)
            with tarfile.open(fileobj=io.BytesIO(built.data)) as tar:
                for member in tar.getmembers():
                    f = tar.extractfile(member)
                    if f is not None:
                        out[f"bundle:{member.name}"] = f.read().decode("utf-8", "replace")
    return out


@given(case=mutated())
def test_every_format_renders_a_mutated_input(case: tuple[str, bytes]) -> None:
    name, data = case
    out = outputs({name: data}, bundle=False)
    assert set(FORMATS) <= set(out)


@given(
    file=st.sampled_from(sorted(PLANTERS)),
    name=st.sampled_from(SECRET_NAMES),
    style=st.sampled_from(STYLES),
    value=st.one_of(planted_value(), shaped_value()),
    bundle=st.booleans(),
)
def test_no_planted_secret_in_any_output(
    file: str, name: str, style: str, value: str, bundle: bool
) -> None:
    text = PLANTERS[file](name, value, style)
    out = outputs({file: text.encode()}, bundle=bundle)
    for where, content in out.items():
        assert value[1:] not in content, (where, text)
