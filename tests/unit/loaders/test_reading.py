"""Only regular files are read, never more than the size limit (FIFOs, devices, stdin)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from compliance.errors import InputError
from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.reading import read_bounded, read_regular, read_stdin

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""


def _load_guarded(paths: list[str], fifo: Path | None = None):
    """``load_paths`` in a thread; a read that blocks fails the test instead of hanging
    it (the FIFO is then opened for writing, which releases the reader)."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(load_paths(paths, LoadOptions(env={}))))
    thread.daemon = True
    thread.start()
    thread.join(60)
    if thread.is_alive():
        if fifo is not None:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        pytest.fail("loading blocked on a file that is not a regular file")
    return out[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_in_a_scanned_folder_is_an_error_and_the_rest_loads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "app.yaml").write_text(DEPLOYMENT)
    fifo = tmp_path / "in" / "x.yaml"
    os.mkfifo(fifo)
    result = _load_guarded(["in"], fifo)
    assert [(e.file, e.message) for e in result.errors] == [
        ("in/x.yaml", "not a regular file (a FIFO): not read")
    ]
    assert [r.name for r in result.resources] == ["web"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_named_on_the_command_line_is_refused(tmp_path):
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    result = _load_guarded([str(fifo)], fifo)
    assert [e.message for e in result.errors] == ["not a regular file (a FIFO): not read"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_on_the_command_line_is_refused_without_reading():
    result = _load_guarded(["/dev/zero"])
    assert [(e.file, e.message) for e in result.errors] == [
        ("/dev/zero", "not a regular file (a character device): not read")
    ]


def test_a_regular_file_over_the_limit_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 100)
    with pytest.raises(InputError, match="over the 50-byte limit"):
        read_regular(big, "big.yaml", 50)
    assert read_regular(big, "big.yaml", 200) == big.read_bytes()


def test_read_bounded_stops_one_byte_past_the_limit():
    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[override]
            b[:] = b"a" * len(b)
            self.served += len(b)
            return len(b)

    stream = Endless()
    with pytest.raises(InputError, match="over the 1000-byte limit"):
        read_bounded(stream, "-", 1000)  # type: ignore[arg-type]
    assert stream.served == 1001


def test_stdin_under_the_limit_is_decoded():
    assert read_stdin(io.BytesIO(DEPLOYMENT.encode()), 10_000) == DEPLOYMENT
    with pytest.raises(InputError) as e:
        read_stdin(io.BytesIO(DEPLOYMENT.encode()), 20)
    assert e.value.file == "-"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_evaluate_reads_stdin_under_the_file_size_limit(tmp_path):
    """/dev/zero as standard input: the run stops reading at the limit and exits 3."""
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [
                str(Path(sys.executable).parent / "compliance"),
                "evaluate",
                "-",
                "--no-cache",
                "--format",
                "json",
            ],
            stdin=zero,
            capture_output=True,
            cwd=tmp_path,
            timeout=300,
        )
    assert proc.returncode == 3, proc.stderr.decode()
    assert b"over the 10485760-byte limit" in proc.stdout
