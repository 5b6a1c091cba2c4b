"""Coverage-guided fuzzing of the loaders and redaction with atheris (``make fuzz``).

Each input picks a file name (which selects the loader) and bytes; the file is decoded,
loaded and its text redacted in process, as ``load_paths`` and a bundle do. An uncaught
exception, an error that does not name its file, or a redacted copy with a different line
count is a crash: atheris writes the input to its artifact folder, and the input belongs
in tests/fuzz/regressions/ once fixed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["compliance"]):
    import compliance.inputs.dockerfile
    import compliance.inputs.securityconfig
    import compliance.inputs.terraform
    import compliance.secrets.spans  # noqa: F401  (instrumented before first use)
    from compliance.errors import InputError
    from compliance.inputs.base import FileContext, LoadOptions
    from compliance.inputs.reading import decode
    from compliance.inputs.registry import kind_of_named, load_text
    from compliance.secrets.mask import redact_text

NAMES = ["x.yaml", "x.json", "node.toml", "main.tf", "Dockerfile", "compose.yaml", "plan.json"]
OPTIONS = LoadOptions(env={})


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    name = NAMES[fdp.ConsumeIntInRange(0, len(NAMES) - 1)]
    raw = fdp.ConsumeBytes(fdp.remaining_bytes())
    try:
        text = decode(raw, name)
    except InputError as e:
        assert e.file == name
        return
    result = load_text(text, FileContext(Path(name), name, OPTIONS), kind_of_named(name), True)
    for error in result.errors:
        assert error.file == name, error
    secrets = set().union(*result.secrets.values()) if result.secrets else set()
    red = redact_text(text, secrets, result.resources, name)
    assert red.text.count("\n") == text.count("\n")


def seed(corpus: Path) -> None:
    """Fill an empty corpus folder with the fixture inputs, each followed by the byte that
    selects its file name (FuzzedDataProvider reads integers from the end of the data)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fuzz.corpus import SEEDS

    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    for i, (name, data) in enumerate(SEEDS):
        kind = kind_of_named(name)
        pick = next((n for n, c in enumerate(NAMES) if kind_of_named(c) == kind), 0)
        (corpus / f"seed-{i:04d}").write_bytes(data + bytes([pick]))


def main() -> None:
    dirs = [a for a in sys.argv[1:] if not a.startswith("-")]
    if dirs:
        seed(Path(dirs[0]))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
