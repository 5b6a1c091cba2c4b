"""What a run notes besides resources and findings: identities several objects share, files
that hold nothing evaluated, folders that need a build step. Plain rows from the loaders and
the evaluation; the report builder turns them into the report's models."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SharedIdentity:
    """An id that several loaded objects share, and the ids they have in the run (input
    order): the report's ``duplicates``."""

    identity: str
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that holds nothing evaluated, with the reason: the report's ``skipped``."""

    file: str
    reason: str


@dataclass(frozen=True, slots=True)
class BuildNotice:
    """A folder whose faithful evaluation needs a build step (kustomize, Helm), the command
    for it and what to tell the user: the report's ``notices``."""

    folder: str
    command: str
    message: str
