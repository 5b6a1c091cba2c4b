"""``compliance serve --ledger``: admission decisions in the ledger, on SQLite in-process and on
one PostgreSQL ledger shared by two server processes under load."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.ledger.decisions import LedgerDecisions
from compliance.ledger.store import Ledger
from compliance.ledger.verify import verify_ledger
from tests.integration.server_harness import POD, config, privileged_pod, review, running
from tests.ports import free_port

PER_SERVER = 1000


def test_decisions_are_recorded_in_an_sqlite_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with running(config(decision_ledger=LedgerDecisions(url, "cluster-a"))) as client:
        for i in range(3):
            client.post("/v1/admission", json=review(privileged_pod(), uid=f"uid-{i}"))
        client.post("/v1/admission", json=review(POD, uid="uid-ok"))
    with Ledger(url) as led:
        rows = led.entries("decision", "cluster-a")
        assert [r.body["uid"] for r in rows] == ["uid-0", "uid-1", "uid-2", "uid-ok"]
        assert [r.body["allowed"] for r in rows] == [False, False, False, True]
        assert verify_ledger(led).problems == []
    listed = CliRunner().invoke(
        cli, ["ledger", "runs", "--kind", "decision", "--ledger", url, "--json"]
    )
    assert [(d["uid"], d["allowed"]) for d in json.loads(listed.output)] == [
        ("uid-0", False),
        ("uid-1", False),
        ("uid-2", False),
        ("uid-ok", True),
    ]


def _serve(port: int, url: str, log: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "compliance"
    with log.open("wb") as err:
        return subprocess.Popen(
            [
                str(exe),
                "serve",
                "--port",
                str(port),
                "--ledger",
                url,
                "--scope",
                "cluster",
                "--evaluators",
                "1",
            ],
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        while True:
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)


def _pod(i: int) -> dict[str, Any]:
    pod = copy.deepcopy(POD if i % 2 else privileged_pod())
    pod["metadata"]["name"] = f"web-{i % 10}"
    return pod


def test_two_servers_share_one_postgresql_ledger_and_lose_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [_serve(p, pg_url, log) for p, log in zip(ports, logs, strict=True)]
    try:
        for proc, port, log in zip(procs, ports, logs, strict=True):
            _ready(proc, port, log)
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=60) for p in ports]

        def send(job: tuple[int, int]) -> int:
            server, i = job
            response = clients[server].post(
                "/v1/admission", json=review(_pod(i), uid=f"s{server}-{i}")
            )
            return response.status_code

        jobs = [(s, i) for i in range(PER_SERVER) for s in (0, 1)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(send, jobs))
        for c in clients:
            c.close()
        assert codes == [200] * (2 * PER_SERVER)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
    with Ledger(pg_url) as led:
        rows = led.entries("decision", "cluster")
        assert len(rows) == 2 * PER_SERVER
        assert {r.body["uid"] for r in rows} == {
            f"s{s}-{i}" for s in (0, 1) for i in range(PER_SERVER)
        }
        assert [r.seq for r in rows] == list(range(1, 2 * PER_SERVER + 1))
    result = CliRunner().invoke(cli, ["ledger", "verify", "--ledger", pg_url])
    assert result.exit_code == 0, result.output
    assert (
        f"{2 * PER_SERVER} rows (0 runs, {2 * PER_SERVER} decisions), chain intact" in result.output
    )
