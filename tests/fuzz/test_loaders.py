"""Every loader on fixture inputs mutated at the byte level and on generated documents:
no uncaught exception, every error names its file, facts never hold a value."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from compliance.inputs import LoadOptions, load_paths, load_stream
from compliance.inputs.base import LoadResult
from tests.fuzz.corpus import mutated

OPTIONS = LoadOptions(env={}, max_file_bytes=256 * 1024)


def load_bytes(name: str, data: bytes) -> tuple[str, LoadResult]:
    """``data`` as file ``name`` in a fresh folder, loaded as a user's folder is."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(data)
        folder = load_paths([tmp], OPTIONS)
        explicit = load_paths([str(Path(tmp) / name)], OPTIONS)
        rel = (Path(tmp) / name).as_posix()
    for result in (folder, explicit):
        check(result, rel)
    return rel, explicit


def check(result: LoadResult, rel: str) -> None:
    for error in result.errors:
        assert error.file == rel, (error, rel)
        assert error.message and "Traceback" not in error.message
        assert error.line is None or error.line >= 1
    for r in result.resources:
        assert r.source.file == rel
        assert isinstance(r.facts.get("secret_shapes"), list)
        for shape in r.facts["secret_shapes"]:
            assert set(shape) == {"path", "shape", "line"}


@given(mutated())
def test_mutated_fixture_inputs_load_or_fail_cleanly(case: tuple[str, bytes]) -> None:
    name, data = case
    load_bytes(name, data)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
_trees = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


@given(
    kind=st.sampled_from(
        ["Pod", "Deployment", "ConfigMap", "Secret", "Service", "Ingress", "CronJob"]
    ),
    body=st.dictionaries(
        st.sampled_from(["spec", "data", "stringData", "metadata", "x"]), _trees, max_size=3
    ),
    name=st.text(min_size=1, max_size=20),
)
def test_generated_kubernetes_objects(kind: str, body: dict[str, object], name: str) -> None:
    doc = {"apiVersion": "v1", "kind": kind, **body}
    if not isinstance(doc.get("metadata"), dict):
        doc["metadata"] = {"name": name, "namespace": "fz"}
    text = yaml.safe_dump(doc, allow_unicode=True)
    load_bytes("obj.yaml", text.encode("utf-8", "surrogatepass"))
    check(load_stream(text, "-", OPTIONS), "-")


@given(services=st.dictionaries(st.text(min_size=1, max_size=10), _trees, min_size=1, max_size=3))
def test_generated_compose_files(services: dict[str, object]) -> None:
    text = yaml.safe_dump({"services": services}, allow_unicode=True)
    load_bytes("compose.yaml", text.encode("utf-8", "surrogatepass"))


@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(
                ["FROM", "ENV", "ARG", "RUN", "USER", "HEALTHCHECK", "COPY", "from", "LABEL"]
            ),
            st.text(max_size=40),
        ),
        max_size=8,
    )
)
def test_generated_dockerfiles(lines: list[tuple[str, str]]) -> None:
    text = "\n".join(f"{i} {v}" for i, v in lines) + "\n"
    load_bytes("Dockerfile", text.encode("utf-8", "surrogatepass"))


@given(
    blocks=st.lists(
        st.tuples(
            st.sampled_from(
                ["resource", "variable", "data", "provider", "module", "locals", "output"]
            ),
            st.sampled_from(
                [
                    '"aws_s3_bucket" "b"',
                    '"x"',
                    '"aws_security_group" "sg"',
                    "",
                    '"aws_db_instance" "d"',
                ]
            ),
            st.dictionaries(
                st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
                st.one_of(
                    st.text(max_size=20).map(
                        lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'
                    ),
                    st.integers().map(str),
                    st.just("true"),
                    st.just("[1, 2]"),
                ),
                max_size=4,
            ),
        ),
        max_size=4,
    )
)
def test_generated_terraform(blocks: list[tuple[str, str, dict[str, str]]]) -> None:
    text = "".join(
        f"{kw} {labels} {{\n" + "".join(f"  {k} = {v}\n" for k, v in attrs.items()) + "}\n"
        for kw, labels, attrs in blocks
    )
    load_bytes("main.tf", text.encode("utf-8", "surrogatepass"))


@given(security=_trees, extra=st.dictionaries(st.text(min_size=1, max_size=8), _trees, max_size=2))
def test_generated_security_configs(security: object, extra: dict[str, object]) -> None:
    doc = {
        **extra,
        "security": security if isinstance(security, dict) else {"tls_config": security},
    }
    text = yaml.safe_dump(doc, allow_unicode=True)
    load_bytes("node.yaml", text.encode("utf-8", "surrogatepass"))
