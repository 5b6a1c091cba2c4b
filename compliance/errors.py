"""One error hierarchy, caught once by the CLI and the server."""

from __future__ import annotations


class ComplianceError(Exception):
    """Base error. ``file``/``line`` say where, when known."""

    exit_code = 3

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def diagnostics(self) -> str:
        where = self.file or ""
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class UsageError(ComplianceError):
    exit_code = 2


class InputError(ComplianceError):
    """A file the user gave could not be loaded."""


class PackError(ComplianceError):
    """A pack manifest or its Rego is invalid."""


class EngineError(ComplianceError):
    """The policy engine failed to compile or evaluate."""


class OutputError(ComplianceError):
    """A report, bundle or store entry could not be written (an I/O failure: exit 3)."""


class EvidenceError(ComplianceError):
    """An evidence bundle failed verification."""

    exit_code = 4
