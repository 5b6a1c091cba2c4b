"""env_file and .env: parsed, read only inside the compose file's folder, kept per service."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.inputs import compose
from compliance.inputs.envfiles import interpolate, parse_dotenv, read_env_file, referenced_names
from compliance.inputs.yamlutil import load_documents

CASES = Path(__file__).resolve().parents[2] / "packs" / "cases"


def _evaluate_case(tmp_path: Path, case: str, fmt: str = "json") -> tuple[str, str]:
    """``compliance evaluate`` over a pack case's input (``CHECK/name``): the report's text
    in ``fmt`` and what the command printed."""
    from click.testing import CliRunner

    from compliance.cli.main import cli

    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate", str(CASES / case / "input"),
            "--format", fmt, "-o", str(out), "--no-cache", "--fail-on", "none",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out.read_text(), result.output


def test_parse_dotenv_lines() -> None:
    text = "# c\n\nexport A=1\nB = 'two words'\nC=\"x#y\"\nD=value # note\nnot a line\n9X=bad\n"
    assert [(e["name"], e["value"], e["line"]) for e in parse_dotenv(text)] == [
        ("A", "1", 3),
        ("B", "two words", 4),
        ("C", "x#y", 5),
        ("D", "value", 6),
    ]


def test_parse_dotenv_interpolates_earlier_lines_as_compose_does() -> None:
    text = (
        "PW=s3cret-value\n"
        "URL=postgres://app:${PW}@db/app\n"
        'QUOTED="x-${PW}-y"\n'
        "LITERAL='${PW}'\n"
        "LATER=${DEFINED_BELOW}\n"
        "DEFINED_BELOW=z\n"
        "OPEN=${PW\n"
        "ESCAPED=$$PW\n"
    )
    got = {e["name"]: (e["value"], e.get("refs")) for e in parse_dotenv(text)}
    assert got == {
        "PW": ("s3cret-value", None),
        "URL": ("postgres://app:s3cret-value@db/app", ["PW"]),
        "QUOTED": ("x-s3cret-value-y", ["PW"]),
        "LITERAL": ("${PW}", None),
        "LATER": ("", []),
        "DEFINED_BELOW": ("z", None),
        "OPEN": ("${PW", None),
        "ESCAPED": ("$PW", []),
    }


def test_files_outside_the_folder_or_absolute_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "outside.env").write_text("TOKEN=x\n")
    inner = tmp_path / "app"
    inner.mkdir()
    assert read_env_file(inner, "../outside.env")["error"].startswith("outside")
    assert read_env_file(inner, str(tmp_path / "outside.env"))["error"].startswith("absolute")
    assert read_env_file(inner, "missing.env") == {
        "file": "missing.env",
        "found": False,
        "entries": [],
        "error": "missing",
    }


def test_referenced_names_skip_escaped_dollars() -> None:
    service = {"environment": {"A": "${DB_PASSWORD:-x}", "B": "$$NOT_ME", "C": "$HOME/x"}}
    assert referenced_names(service) == {"DB_PASSWORD", "HOME"}


def test_compose_services_keep_env_files_and_the_dotenv_variables_they_use(
    tmp_path: Path, make_ctx
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "api.env").write_text("API_TOKEN=t-1\n")
    (tmp_path / ".env").write_text("DB_PASSWORD=p-1\nOTHER=o\n")
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n  api:\n    image: a\n    env_file: [api.env]\n"
        "    environment: {DB: '${DB_PASSWORD}'}\n  web:\n    image: w\n"
    )
    (doc,) = load_documents(path.read_text())
    api, web = compose.load_document(doc, make_ctx(path, "compose.yaml"))
    assert api.facts["env_files"] == [
        {
            "file": "api.env",
            "found": True,
            "entries": [{"name": "API_TOKEN", "value": "t-1", "line": 1}],
            "line": 4,
        }
    ]
    assert [e["name"] for e in api.facts["dotenv"]["entries"]] == ["DB_PASSWORD"]
    assert web.facts["env_files"] == [] and web.facts["dotenv"]["entries"] == []


def test_a_fifo_or_oversized_env_file_is_not_read(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.env")
    (tmp_path / "big.env").write_bytes(b"A=" + b"x" * (2 << 20) + b"\n")
    fifo = read_env_file(tmp_path, "pipe.env")
    big = read_env_file(tmp_path, "big.env")
    assert not fifo["found"] and "FIFO" in fifo["error"]
    assert not big["found"] and big["error"].endswith("not read")


def test_report_names_env_file_variables_never_their_values(tmp_path: Path) -> None:
    import json

    text, _ = _evaluate_case(tmp_path, "SEC-01/compose-env-files-with-secrets")
    messages = [f["message"] for f in json.loads(text)["findings"]]
    assert any("API_TOKEN from env_file api.env" in m for m in messages)
    for value in ("tok-9f8e7d6c5b4a", "s3ss10n-s3cr3t", "pg-dev-password-1"):
        assert value not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A}", ("a-1", ["A"])),
        ("$A/x", ("a-1/x", ["A"])),
        ("${UNSET}", ("", [])),
        ("${UNSET:-dflt}", ("dflt", [])),
        ("${EMPTY:-dflt}", ("dflt", [])),
        ("${EMPTY-dflt}", ("", ["EMPTY"])),
        ("${UNSET-dflt}", ("dflt", [])),
        ("${UNSET:-${A}}", ("a-1", ["A"])),
        ("${A:-${B}}", ("a-1", ["A"])),
        ("${A:+alt}", ("alt", [])),
        ("${UNSET:+alt}", ("", [])),
        ("${A:?required}", ("a-1", ["A"])),
        ("$${A}", ("${A}", [])),
        ("pre-${A}-post", ("pre-a-1-post", ["A"])),
        ("no interpolation", None),
        ("${A", None),
        ("${}", None),
    ],
)
def test_interpolate_as_compose_does(text: str, expected: object) -> None:
    assert interpolate(text, {"A": "a-1", "B": "b-1", "EMPTY": ""}) == expected


def test_compose_environment_is_resolved_from_dotenv_and_inline_defaults(
    tmp_path: Path, make_ctx
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("# c\nADMIN_PW=pw-from-dotenv\n")
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n  admin:\n    image: a\n    environment:\n"
        "      - ADMIN_PASSWORD=${ADMIN_PW}\n"
        "      - DB_PASSWORD=${DB_PW:-inline-pw}\n"
        "      - TOKEN=${NOWHERE}\n"
        "      - PLAIN=literal\n"
    )
    (doc,) = load_documents(path.read_text())
    (admin,) = compose.load_document(doc, make_ctx(path, "compose.yaml"))
    env = {e["name"]: e for e in admin.facts["environment"]}
    assert env["ADMIN_PASSWORD"]["resolved"] == "pw-from-dotenv"
    assert env["ADMIN_PASSWORD"]["sources"] == [{"name": "ADMIN_PW", "file": ".env", "line": 2}]
    assert env["DB_PASSWORD"]["resolved"] == "inline-pw" and env["DB_PASSWORD"]["sources"] == []
    assert env["TOKEN"]["resolved"] == "" and env["TOKEN"]["sources"] == []
    assert "resolved" not in env["PLAIN"]
    values: set[str] = set()
    compose.LOADER.secret_values(admin, values)
    assert {"pw-from-dotenv", "inline-pw"} <= values


def test_report_names_interpolated_dotenv_variables_never_their_values(tmp_path: Path) -> None:
    import json

    text, _ = _evaluate_case(tmp_path, "SEC-01/compose-dotenv-interpolated-secrets")
    messages = [f["message"] for f in json.loads(text)["findings"]]
    assert any("ADMIN_DEFAULT_PASSWORD" in m and "ADMIN_PW, line 3" in m for m in messages)
    for value in ("fixture-admin-pw", "fixture-inline-default", "fixture-when-empty"):
        assert value not in text


def test_report_names_files_holding_credential_shapes_never_their_values(tmp_path: Path) -> None:
    values = ("Fixture-root-pass-41", "ghp_FixtureToken0123456789abcdefghijABCD")
    for fmt in ("json", "sarif", "markdown", "html", "oscal", "junit", "table"):
        text, printed = _evaluate_case(tmp_path, "SEC-03/compose-shapes-from-env-files", fmt)
        if fmt != "table":  # the table counts findings by control, without messages
            assert "from worker.env, line 1" in text and "from .env, line 2" in text
        for value in values:
            assert value not in text and value not in printed
