"""Signed checkpoints of the decision log, GET /v1/decisions/head, `verify-log --checkpoints`,
and a torn last line moved aside on restart: a real server on loopback, real Ed25519."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.cli.main import cli
from compliance.errors import EvidenceError
from compliance.evidence import dsse
from compliance.server.decisionlog import (
    DecisionLog,
    checkpoints_path,
    record_hash,
    verify,
)
from tests.integration.server_harness import (
    AUDITOR_TOKEN,
    POD,
    config,
    privileged_pod,
    review,
    running,
)

KEY = Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Five decisions by a real server checkpointing every 2, and the head an auditor fetched."""
    folder = tmp_path_factory.mktemp("served")
    path = folder / "decisions.jsonl"
    auditor = {"Authorization": f"Bearer {AUDITOR_TOKEN}"}
    with running(config(decision_log=DecisionLog(path, KEY, checkpoint_every=2))) as c:
        for i in range(5):
            obj = POD if i % 2 == 0 else privileged_pod()
            assert c.post("/v1/admission", json=review(obj, uid=f"uid-{i}")).status_code == 200
        assert c.get("/v1/decisions/head").status_code == 401
        head = c.get("/v1/decisions/head", headers=auditor)
        assert head.status_code == 200
    pub = folder / "server.pub"
    pub.write_bytes(dsse.public_pem(KEY.public_key()))
    return {
        "log": path.read_bytes(),
        "checkpoints": checkpoints_path(path).read_bytes(),
        "head": head.json(),
        "pub": pub,
    }


def place(tmp_path: Path, served: dict[str, Any], lines: list[bytes] | None = None) -> Path:
    path = tmp_path / "decisions.jsonl"
    log = served["log"] if lines is None else b"".join(line + b"\n" for line in lines)
    path.write_bytes(log)
    checkpoints_path(path).write_bytes(served["checkpoints"])
    return path


def run_verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evidence", "verify-log", *args])
    return result.exit_code, result.output


def test_checkpoints_every_n_and_on_shutdown_verify(tmp_path: Path, served: dict[str, Any]) -> None:
    statements = [
        dsse.verify(dsse.parse_envelope(line), KEY.public_key())
        for line in served["checkpoints"].splitlines()
    ]
    assert [(s.predicate["seq"], s.predicate["reason"]) for s in statements] == [
        (2, "interval"),
        (4, "interval"),
        (5, "shutdown"),
    ]
    path = place(tmp_path, served)
    code, output = run_verify(str(path), "--checkpoints", "--key", str(served["pub"]))
    assert code == 0, output
    assert "3 signed checkpoints verified, covering records 1-5; 0 after the last" in output


def test_the_head_endpoint_is_signed_and_verifies_as_a_checkpoint(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    head = served["head"]
    last = orjson.loads(served["log"].splitlines()[-1])
    assert (head["records"], head["head"]) == (5, last["hash"])
    heads = tmp_path / "heads.jsonl"
    heads.write_bytes(orjson.dumps(head) + b"\n")
    path = place(tmp_path, served)
    code, output = run_verify(str(path), "--checkpoints", str(heads), "--key", str(served["pub"]))
    assert code == 0 and "1 signed checkpoints verified, covering records 1-5" in output


def test_a_rechained_log_passes_the_chain_but_not_the_checkpoints(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    """Someone who can write the file turns a deny into an allow and re-chains everything after."""
    records = [orjson.loads(line) for line in served["log"].splitlines()]
    assert records[1]["allowed"] is False
    records[1]["allowed"] = True
    prev = records[0]["hash"]
    for record in records[1:]:
        record["prev"] = prev
        record["hash"] = prev = record_hash(record)
    lines = [orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records]
    path = place(tmp_path, served, lines)
    assert run_verify(str(path))[0] == 0  # the chain alone cannot tell
    code, output = run_verify(str(path), "--checkpoints", "--key", str(served["pub"]))
    assert code == 4
    assert ".checkpoints:1:" in output and "record 2 has hash" in output
    assert "rewritten and re-chained" in output


def test_a_cut_tail_fails_against_the_shutdown_checkpoint(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    path = place(tmp_path, served, served["log"].splitlines()[:3])
    assert run_verify(str(path))[0] == 0
    code, output = run_verify(str(path), "--checkpoints", "--key", str(served["pub"]))
    assert code == 4 and "checkpoint signs record 4" in output and "records were removed" in output


def test_checkpoints_by_another_key_or_missing_fail(tmp_path: Path, served: dict[str, Any]) -> None:
    path = place(tmp_path, served)
    other = tmp_path / "other.pub"
    other.write_bytes(dsse.public_pem(Ed25519PrivateKey.generate().public_key()))
    code, output = run_verify(str(path), "--checkpoints", "--key", str(other))
    assert code == 4 and "wrong key" in output
    checkpoints_path(path).unlink()
    code, output = run_verify(str(path), "--checkpoints", "--key", str(served["pub"]))
    assert code == 4 and "cannot read checkpoints" in output
    code, output = run_verify(str(path), "--checkpoints")
    assert code == 2 and "needs --key" in output


def test_a_torn_last_line_is_moved_aside_and_recorded(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    """A crash mid-write leaves half a record; the restarted server keeps the chain going."""
    path = tmp_path / "decisions.jsonl"
    whole = served["log"]
    torn = served["log"].splitlines()[-1][:57]
    path.write_bytes(whole + torn)
    log = DecisionLog(path, KEY, checkpoint_every=100)
    log.append({"uid": "after-restart"})
    log.close()
    (aside,) = tmp_path.glob("decisions.jsonl.torn-*")
    assert aside.read_bytes() == torn
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert records[5]["event"] == "torn_tail"
    assert records[5]["moved_to"] == aside.name and records[5]["bytes"] == len(torn)
    assert records[6]["uid"] == "after-restart"
    assert verify(path).records == 7
    assert path.read_bytes().startswith(whole)


def test_a_complete_last_record_without_newline_is_kept(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(served["log"].rstrip(b"\n"))
    log = DecisionLog(path)
    log.append({"uid": "next"})
    log.close()
    assert verify(path).records == 6
    assert not list(tmp_path.glob("*.torn-*"))


def test_a_bad_complete_last_line_is_still_refused(tmp_path: Path, served: dict[str, Any]) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(served["log"] + b'{"edited": true}\n')
    with pytest.raises(EvidenceError, match="refusing to extend the chain"):
        DecisionLog(path)


def test_without_a_key_the_head_is_unsigned_and_no_checkpoints_are_written(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog(path)
    log.append({"uid": "a"})
    head = log.signed_head()
    log.close()
    assert head["records"] == 1 and "signed" not in head
    assert not checkpoints_path(path).exists()
