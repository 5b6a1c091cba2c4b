"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl as an unprivileged user, listening
only on a Unix socket in a temporary directory."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl (PATH, then Debian's /usr/lib/postgresql)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


@dataclass
class Cluster:
    root: Path
    bin: Path
    user: str | None

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        data = self.root / "data"
        done = self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr}")
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c max_connections=60"
        done = self._run(
            "pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr}{log}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_cluster() -> Cluster:
    binaries = pg_bin()
    if binaries is None:
        raise FileNotFoundError("initdb/pg_ctl not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="compliance-pg-"))
    user = None
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: the cluster belongs to an unprivileged user
        user = "postgres" if _user_exists("postgres") else "nobody"
        os.chmod(root, 0o755)
        shutil.chown(root, user)
    (root / "sock").mkdir()
    if user:
        shutil.chown(root / "sock", user)
    cluster = Cluster(root, binaries, user)
    cluster.start()
    return cluster


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
