"""The decision log's hash chain and `compliance evidence verify-log`: tampered logs are named after
what they break."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.server.decisionlog import GENESIS, DecisionLog, verify
from tests.integration.server_harness import POD, config, privileged_pod, review, running


@pytest.fixture(scope="module")
def served_log(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Five decisions written by a real server."""
    path = tmp_path_factory.mktemp("log") / "decisions.jsonl"
    with running(config(decision_log=DecisionLog(path))) as c:
        for i in range(5):
            obj = POD if i % 2 == 0 else privileged_pod()
            assert c.post("/v1/admission", json=review(obj, uid=f"uid-{i}")).status_code == 200
    return path.read_bytes()


def write(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def run_verify(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evidence", "verify-log", str(path), *extra])
    return result.exit_code, result.output


def test_intact_log_verifies(tmp_path: Path, served_log: bytes) -> None:
    path = write(tmp_path, served_log.splitlines())
    code, output = run_verify(path)
    assert code == 0, output
    assert "5 records, chain intact" in output
    first = orjson.loads(served_log.splitlines()[0])
    assert first["prev"] == GENESIS
    assert [orjson.loads(line)["uid"] for line in served_log.splitlines()] == [
        f"uid-{i}" for i in range(5)
    ]


def test_edited_record_is_named(tmp_path: Path, served_log: bytes) -> None:
    lines = served_log.splitlines()
    lines[2] = lines[2].replace(b'"allowed":true', b'"allowed":false')
    assert lines[2] != served_log.splitlines()[2]
    code, output = run_verify(write(tmp_path, lines))
    assert code == 4
    assert ":3:" in output and "does not match its hash" in output


def test_edited_record_with_recomputed_hash_breaks_the_next_link(
    tmp_path: Path, served_log: bytes
) -> None:
    from compliance.server.decisionlog import record_hash

    lines = served_log.splitlines()
    record = orjson.loads(lines[1])
    record["allowed"] = True
    record["hash"] = record_hash(record)
    lines[1] = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    code, output = run_verify(write(tmp_path, lines))
    assert code == 4
    assert ":3:" in output and "does not chain" in output


def test_removed_record_is_named(tmp_path: Path, served_log: bytes) -> None:
    lines = served_log.splitlines()
    del lines[1]
    code, output = run_verify(write(tmp_path, lines))
    assert code == 4
    assert ":2:" in output and "removed, inserted or reordered" in output


def test_reordered_records_are_named(tmp_path: Path, served_log: bytes) -> None:
    lines = served_log.splitlines()
    lines[3], lines[4] = lines[4], lines[3]
    code, output = run_verify(write(tmp_path, lines))
    assert code == 4
    assert ":4:" in output


def test_removed_first_record_is_named(tmp_path: Path, served_log: bytes) -> None:
    code, output = run_verify(write(tmp_path, served_log.splitlines()[1:]))
    assert code == 4
    assert ":1:" in output


def test_truncated_tail_needs_the_expected_head(tmp_path: Path, served_log: bytes) -> None:
    lines = served_log.splitlines()
    head = orjson.loads(lines[-1])["hash"]
    path = write(tmp_path, lines[:-1])
    assert run_verify(path)[0] == 0  # a shorter chain is still a chain
    code, output = run_verify(path, "--expect-head", head)
    assert code == 4 and "records missing at the end" in output
    assert run_verify(write(tmp_path, lines), "--expect-head", head)[0] == 0


def test_garbage_line_is_named(tmp_path: Path, served_log: bytes) -> None:
    lines = served_log.splitlines()
    lines.insert(2, b"{not json")
    code, output = run_verify(write(tmp_path, lines))
    assert code == 4 and ":3:" in output and "not valid JSON" in output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run_verify(tmp_path / "nope.jsonl")
    assert code == 2 and "no decision log file" in output


def test_a_restarted_server_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    log = DecisionLog(path)
    log.append({"uid": "a"})
    log.close()
    again = DecisionLog(path)
    again.append({"uid": "b"})
    again.close()
    assert verify(path).records == 2


def test_the_log_never_keeps_an_object_name_equal_to_its_own_secret(tmp_path: Path) -> None:
    """A Secret and a Pod named after their own secret values: the response names the object
    as Kubernetes does (reports keep identifiers), but the decision log, kept for years,
    holds no secret value, not even as a name (create and delete)."""
    secret = "swordfish-hunter2-0x7f3a"
    as_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret, "namespace": "shop"},
        "stringData": {"password": secret},
    }
    pod = privileged_pod()
    pod["metadata"]["name"] = secret
    pod["spec"]["containers"][0]["env"] = [{"name": "DB_PASSWORD", "value": secret}]
    path = tmp_path / "decisions.jsonl"
    with running(config(decision_log=DecisionLog(path))) as c:
        for i, body in enumerate(
            [
                review(as_secret, uid="u-1"),
                review(pod, uid="u-2"),
                review(None, uid="u-3", operation="DELETE", old=as_secret),
            ]
        ):
            answer = c.post("/v1/admission", json=body)
            assert answer.status_code == 200, i
    data = path.read_bytes()
    assert len(data.splitlines()) == 3
    assert secret.encode() not in data
    assert data.count(b"[REDACTED]") >= 3
    assert run_verify(path)[0] == 0
